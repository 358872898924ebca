//! A circuit breaker for the REST API: after `failure_threshold` upstream failures in a row it
//! opens and refuses requests for `open_for`, then lets one probe through (half-open); the
//! probe's outcome closes or re-opens it. Only upstream failures count (5xx, timeouts,
//! connection errors), never a refused order. Small enough to own rather than pull a crate
//! for; its state is reported for health and the UI.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

#[derive(Clone, Copy, Debug)]
pub struct BreakerConfig {
    pub failure_threshold: u32,
    pub open_for: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            open_for: Duration::from_secs(30),
        }
    }
}

/// The breaker as health reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BreakerState {
    Closed { consecutive_failures: u32 },
    Open { retry_in_ms: u64 },
    HalfOpen,
}

#[derive(Debug)]
enum Inner {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { probing: bool },
}

#[derive(Debug)]
pub struct CircuitBreaker {
    config: BreakerConfig,
    inner: Mutex<Inner>,
}

impl CircuitBreaker {
    pub fn new(config: BreakerConfig) -> Self {
        Self {
            config,
            inner: Mutex::new(Inner::Closed { failures: 0 }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The state is a plain value; a panic elsewhere cannot leave it half-written.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// May a request go now? `Err(wait)` while open, or while a half-open probe is out.
    pub fn admit(&self) -> Result<(), Duration> {
        let mut inner = self.lock();
        match *inner {
            Inner::Closed { .. } => Ok(()),
            Inner::Open { until } => {
                let now = Instant::now();
                if now >= until {
                    *inner = Inner::HalfOpen { probing: true };
                    Ok(())
                } else {
                    Err(until - now)
                }
            }
            Inner::HalfOpen { probing: true } => Err(self.config.open_for.min(
                // Another request is probing; check back shortly.
                Duration::from_secs(1),
            )),
            Inner::HalfOpen { probing: false } => {
                *inner = Inner::HalfOpen { probing: true };
                Ok(())
            }
        }
    }

    pub fn record_success(&self) {
        *self.lock() = Inner::Closed { failures: 0 };
    }

    pub fn record_failure(&self) {
        let mut inner = self.lock();
        let open = Inner::Open {
            until: Instant::now() + self.config.open_for,
        };
        *inner = match *inner {
            Inner::Closed { failures } if failures + 1 < self.config.failure_threshold => {
                Inner::Closed {
                    failures: failures + 1,
                }
            }
            _ => open,
        };
    }

    /// A request that neither succeeded nor failed upstream (say, a refused order): a
    /// half-open probe slot is handed back.
    pub fn record_neutral(&self) {
        let mut inner = self.lock();
        if let Inner::HalfOpen { probing: true } = *inner {
            *inner = Inner::Closed { failures: 0 };
        }
    }

    pub fn state(&self) -> BreakerState {
        match *self.lock() {
            Inner::Closed { failures } => BreakerState::Closed {
                consecutive_failures: failures,
            },
            Inner::Open { until } => BreakerState::Open {
                retry_in_ms: until
                    .saturating_duration_since(Instant::now())
                    .as_millis()
                    .try_into()
                    .unwrap_or(u64::MAX),
            },
            Inner::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_the_threshold_probes_after_the_wait_and_closes_on_success() {
        let b = CircuitBreaker::new(BreakerConfig {
            failure_threshold: 3,
            open_for: Duration::from_millis(50),
        });
        b.record_failure();
        b.record_failure();
        assert_eq!(
            b.state(),
            BreakerState::Closed {
                consecutive_failures: 2
            }
        );
        assert!(b.admit().is_ok());
        b.record_failure();
        assert!(matches!(b.state(), BreakerState::Open { .. }));
        assert!(b.admit().is_err());
        std::thread::sleep(Duration::from_millis(60));
        assert!(b.admit().is_ok(), "one probe after the wait");
        assert!(b.admit().is_err(), "only one probe at a time");
        b.record_failure();
        assert!(matches!(b.state(), BreakerState::Open { .. }));
        std::thread::sleep(Duration::from_millis(60));
        assert!(b.admit().is_ok());
        b.record_success();
        assert_eq!(
            b.state(),
            BreakerState::Closed {
                consecutive_failures: 0
            }
        );
    }

    #[test]
    fn a_success_resets_the_count() {
        let b = CircuitBreaker::new(BreakerConfig {
            failure_threshold: 2,
            open_for: Duration::from_secs(60),
        });
        b.record_failure();
        b.record_success();
        b.record_failure();
        assert!(b.admit().is_ok());
    }
}
