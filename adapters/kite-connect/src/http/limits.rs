//! Kite's rate limits, enforced on our side with `governor` so our own bursts never earn a 429:
//! quote 1/s, historical 3/s, order placement 10/s and 400/min and 5000/day, everything else
//! 10/s. Per-second limits wait (a short delay beats a refusal); the minute and day order caps
//! refuse at once with a clear error, since waiting minutes to place an order is never what a
//! trader wants.
//!
//! Changes to orders already at the broker (cancels, modifications, deleting a GTT — what a
//! stop-loss, an exit and the kill switch send) share the "everything else" budget with reads,
//! but go first: while one waits for a slot, reads stand back, so a burst of page loads cannot
//! hold a cancel behind it.
//!
//! Within a class, requests are served in the order they asked: each waits its turn in a
//! queue (tokio's `Mutex`, which is fair) before it waits for a slot. Left to the limiter alone,
//! a request that arrived just as a slot freed took it from those asleep until that moment, and
//! a stream of new reads passed an old one over again and again (a test saw a read wait behind
//! 240 later ones).

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};

use governor::clock::Clock;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::{Mutex, Notify};

use super::error::KiteError;

/// Which of Kite's limits a request counts against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitClass {
    Quote,
    Historical,
    OrderPlacement,
    /// A cancel or modification of an order (or GTT) at the broker: Kite's "everything else"
    /// limit, ahead of reads.
    OrderChange,
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
    /// Order changes waiting for a slot of `other`; reads wait while it is above zero.
    changes_waiting: AtomicUsize,
    /// Told when an order change stops waiting, so reads held back look again.
    change_done: Notify,
    /// Each class's requests in the order they asked: only the first waits for a slot.
    turns: Turns,
}

/// One fair queue per budget a request waits on.
#[derive(Default)]
struct Turns {
    quote: Mutex<()>,
    historical: Mutex<()>,
    orders: Mutex<()>,
    changes: Mutex<()>,
    reads: Mutex<()>,
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
            changes_waiting: AtomicUsize::new(0),
            change_done: Notify::new(),
            turns: Turns::default(),
        }
    }

    /// Waits for the request's per-second slot; refuses at once if a minute or day cap is
    /// spent.
    pub async fn acquire(&self, class: LimitClass) -> Result<(), KiteError> {
        match class {
            LimitClass::Quote => {
                let _turn = self.turns.quote.lock().await;
                wait(&self.quote, "quote").await
            }
            LimitClass::Historical => {
                let _turn = self.turns.historical.lock().await;
                wait(&self.historical, "historical").await
            }
            LimitClass::Other => {
                let _turn = self.turns.reads.lock().await;
                self.read_slot().await
            }
            LimitClass::OrderChange => {
                // Counted as waiting from the moment it asks: reads stand back behind it.
                let _waiting = ChangeWaiting::new(self);
                let _turn = self.turns.changes.lock().await;
                wait(&self.other, "order_change").await;
            }
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
                let _turn = self.turns.orders.lock().await;
                wait(&self.orders_second, "orders").await;
            }
        }
        Ok(())
    }
}

impl RateLimits {
    /// A slot of the shared budget for a read, taken only while no order change waits for one.
    async fn read_slot(&self) {
        let mut waited = None;
        loop {
            let change_done = self.change_done.notified();
            tokio::pin!(change_done);
            // Registered before looking, so a change finishing in between is not missed.
            change_done.as_mut().enable();
            let pause = if self.changes_waiting.load(Ordering::Acquire) > 0 {
                None
            } else {
                match self.other.check() {
                    Ok(()) => break,
                    Err(not_until) => Some(not_until.wait_time_from(self.other.clock().now())),
                }
            };
            waited.get_or_insert_with(std::time::Instant::now);
            match pause {
                // Spent: sleep until the next slot (or until a change is done), then look again.
                Some(pause) => {
                    tokio::select! {
                        () = tokio::time::sleep(pause) => {}
                        () = &mut change_done => {}
                    }
                }
                None => change_done.await,
            }
        }
        if let Some(started) = waited {
            metrics::counter!("osp_rate_limiter_waits_total", "class" => "other").increment(1);
            metrics::histogram!("osp_rate_limiter_wait_seconds", "class" => "other")
                .record(started.elapsed().as_secs_f64());
        }
    }
}

/// Counts an order change as waiting for as long as it lives (dropped when the change has its
/// slot, or when its caller gives up), and wakes the reads held back when it ends.
struct ChangeWaiting<'a>(&'a RateLimits);

impl<'a> ChangeWaiting<'a> {
    fn new(limits: &'a RateLimits) -> Self {
        limits.changes_waiting.fetch_add(1, Ordering::AcqRel);
        Self(limits)
    }
}

impl Drop for ChangeWaiting<'_> {
    fn drop(&mut self) {
        self.0.changes_waiting.fetch_sub(1, Ordering::AcqRel);
        self.0.change_done.notify_waiters();
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

    #[tokio::test]
    async fn an_order_change_takes_the_next_slot_ahead_of_queued_reads() {
        let limits = std::sync::Arc::new(RateLimits::new(RateLimitConfig {
            other_per_second: 20,
            ..RateLimitConfig::default()
        }));
        for _ in 0..20 {
            limits.acquire(LimitClass::Other).await.unwrap();
        }
        let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut queued = tokio::task::JoinSet::new();
        for read in 0..10 {
            let (limits, order) = (limits.clone(), order.clone());
            queued.spawn(async move {
                limits.acquire(LimitClass::Other).await.unwrap();
                order.lock().unwrap().push(format!("read {read}"));
            });
        }
        tokio::task::yield_now().await;
        // A task like the reads (the test's own future would be woken first anyway).
        let change = {
            let (limits, order) = (limits.clone(), order.clone());
            tokio::spawn(async move {
                limits.acquire(LimitClass::OrderChange).await.unwrap();
                order.lock().unwrap().push("change".to_owned());
            })
        };
        change.await.unwrap();
        // The reads go on once the change has its slot.
        while queued.join_next().await.is_some() {}
        let order = order.lock().unwrap();
        assert_eq!(order.len(), 11);
        assert_eq!(order[0], "change", "{order:?}");
    }

    /// Reads waiting for the shared budget are served in the order they asked: one that came
    /// later never takes the slot of one already waiting, so none can be passed over again and
    /// again by a stream of newer ones (the positions read before an exit is one of them).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn waiting_reads_are_served_in_the_order_they_asked() {
        let limits = std::sync::Arc::new(RateLimits::new(RateLimitConfig {
            other_per_second: 100,
            ..RateLimitConfig::default()
        }));
        for _ in 0..100 {
            limits.acquire(LimitClass::Other).await.unwrap();
        }
        let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut queued = tokio::task::JoinSet::new();
        // A new read every millisecond for 200 ms, while a slot frees every 10 ms.
        for read in 0..200u32 {
            let (limits, order) = (limits.clone(), order.clone());
            queued.spawn(async move {
                limits.acquire(LimitClass::Other).await.unwrap();
                order.lock().unwrap().push(read);
            });
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        while queued.join_next().await.is_some() {}
        let order = order.lock().unwrap();
        let passed_over: Vec<_> = order
            .windows(2)
            .filter(|w| w[1] < w[0])
            .map(|w| (w[0], w[1]))
            .collect();
        assert!(
            passed_over.is_empty(),
            "served before an earlier read: {passed_over:?}"
        );
    }
}
