//! Kite's rate limits, enforced on our side with `governor` so our own bursts never earn a 429:
//! quote 1/s, historical 3/s, order placement 10/s and 400/min and 5000/day, everything else
//! 10/s. Per-second limits wait (a short delay beats a refusal); the minute and day order caps
//! refuse at once with a clear error, since waiting minutes to place an order is never what a
//! trader wants.

use std::num::NonZeroU32;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use super::error::KiteError;

/// Which of Kite's limits a request counts against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitClass {
    Quote,
    Historical,
    OrderPlacement,
    Other,
}

/// Requests per period, configurable for tests and for Kite changing its limits.
#[derive(Clone, Copy, Debug)]
pub struct RateLimitConfig {
    pub quote_per_second: u32,
    pub historical_per_second: u32,
    pub orders_per_second: u32,
    pub orders_per_minute: u32,
    pub orders_per_day: u32,
    pub other_per_second: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            quote_per_second: 1,
            historical_per_second: 3,
            orders_per_second: 10,
            orders_per_minute: 400,
            orders_per_day: 5000,
            other_per_second: 10,
        }
    }
}

pub struct RateLimits {
    quote: DefaultDirectRateLimiter,
    historical: DefaultDirectRateLimiter,
    orders_second: DefaultDirectRateLimiter,
    orders_minute: DefaultDirectRateLimiter,
    orders_day: DefaultDirectRateLimiter,
    other: DefaultDirectRateLimiter,
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

impl RateLimits {
    pub fn new(config: RateLimitConfig) -> Self {
        let per_second = |n| RateLimiter::direct(Quota::per_second(nonzero(n)));
        let per_minute = |n| RateLimiter::direct(Quota::per_minute(nonzero(n)));
        let per_day = |n: u32| {
            let quota = Quota::with_period(std::time::Duration::from_secs(86_400) / n.max(1))
                .map(|q| q.allow_burst(nonzero(n)))
                .unwrap_or_else(|| Quota::per_hour(nonzero(n)));
            RateLimiter::direct(quota)
        };
        Self {
            quote: per_second(config.quote_per_second),
            historical: per_second(config.historical_per_second),
            orders_second: per_second(config.orders_per_second),
            orders_minute: per_minute(config.orders_per_minute),
            orders_day: per_day(config.orders_per_day),
            other: per_second(config.other_per_second),
        }
    }

    /// Waits for the request's per-second slot; refuses at once if a minute or day cap is
    /// spent.
    pub async fn acquire(&self, class: LimitClass) -> Result<(), KiteError> {
        match class {
            LimitClass::Quote => wait(&self.quote, "quote").await,
            LimitClass::Historical => wait(&self.historical, "historical").await,
            LimitClass::Other => wait(&self.other, "other").await,
            LimitClass::OrderPlacement => {
                // A refused order may have used a minute or day cell: the count errs on the
                // safe side.
                if self.orders_day.check().is_err() {
                    return Err(KiteError::LocalRateLimit {
                        limit: "Kite's limit of orders per day",
                    });
                }
                if self.orders_minute.check().is_err() {
                    return Err(KiteError::LocalRateLimit {
                        limit: "Kite's limit of orders per minute",
                    });
                }
                wait(&self.orders_second, "orders").await;
            }
        }
        Ok(())
    }
}

/// Takes a slot of `limiter`, waiting for one when it is spent (counted and timed, so a
/// limiter that holds requests back shows on `/metrics`).
async fn wait(limiter: &DefaultDirectRateLimiter, class: &'static str) {
    if limiter.check().is_ok() {
        return;
    }
    let started = std::time::Instant::now();
    limiter.until_ready().await;
    metrics::counter!("osp_rate_limiter_waits_total", "class" => class).increment(1);
    metrics::histogram!("osp_rate_limiter_wait_seconds", "class" => class)
        .record(started.elapsed().as_secs_f64());
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[tokio::test]
    async fn per_second_limits_wait_and_order_caps_refuse() {
        let limits = RateLimits::new(RateLimitConfig {
            quote_per_second: 2,
            orders_per_minute: 3,
            orders_per_second: 100,
            ..RateLimitConfig::default()
        });
        let start = Instant::now();
        for _ in 0..3 {
            limits.acquire(LimitClass::Quote).await.unwrap();
        }
        // The third quote had to wait for a slot (2/s, burst 2).
        assert!(start.elapsed() >= Duration::from_millis(400));
        for _ in 0..3 {
            limits.acquire(LimitClass::OrderPlacement).await.unwrap();
        }
        let refused = limits
            .acquire(LimitClass::OrderPlacement)
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("orders per minute"));
    }
}
