//! The trading lease as this process holds it: taken and renewed in the database
//! (`LeaseStore`), and believed held only until the moment it would lapse unrenewed — so a
//! renewal that stalls stops this process sending before another one can take over.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use osp_core::ports::{Clock, LeaseStore, TradingLease};

/// The lease trading workers hold.
pub const TRADING_LEASE: &str = "trading";

pub struct Lease {
    store: Arc<dyn LeaseStore>,
    clock: Arc<dyn Clock>,
    pub name: &'static str,
    /// This process: host, process id and a random part (two processes never share it).
    pub holder: String,
    pub ttl: Duration,
    /// Until when (Unix ms) this process may act on it: a third of the lease short of its
    /// expiry, so a clock step or a slow renewal errs on the side of not sending.
    valid_until_ms: AtomicI64,
    /// Whether the last take or renewal failed (the database did not answer), rather than
    /// finding the lease another process's.
    failed: AtomicBool,
}

impl Lease {
    pub fn new(
        store: Arc<dyn LeaseStore>,
        clock: Arc<dyn Clock>,
        name: &'static str,
        ttl: Duration,
    ) -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".to_owned());
        let holder = format!(
            "{host}-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        );
        Self {
            store,
            clock,
            name,
            holder,
            ttl,
            valid_until_ms: AtomicI64::new(i64::MIN),
            failed: AtomicBool::new(false),
        }
    }

    fn ttl_ms(&self) -> i64 {
        i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX)
    }

    /// How often the holder renews it (a third of its length).
    pub fn renew_every(&self) -> Duration {
        self.ttl / 3
    }

    /// Takes or renews it. `Ok(false)`: another process holds it. Any failure counts as not
    /// held from now on.
    pub async fn try_hold(&self) -> Result<bool, String> {
        let now = self.clock.now_ms();
        let result = self
            .store
            .acquire(self.name, &self.holder, now, self.ttl_ms())
            .await;
        match &result {
            Ok(true) => self
                .valid_until_ms
                .store(now.saturating_add(self.ttl_ms() * 2 / 3), Ordering::Release),
            _ => self.valid_until_ms.store(i64::MIN, Ordering::Release),
        }
        self.failed.store(result.is_err(), Ordering::Release);
        Ok(result?)
    }

    /// Gives it up (a clean shutdown: the standby takes over at once).
    pub async fn release(&self) {
        self.valid_until_ms.store(i64::MIN, Ordering::Release);
        if let Err(e) = self.store.release(self.name, &self.holder).await {
            tracing::warn!(error = %e, lease = self.name, "the lease could not be released; it lapses by itself");
        }
    }

    /// Who holds it now, for the standby's log line.
    pub async fn current_holder(&self) -> Option<String> {
        self.store
            .holder(self.name)
            .await
            .ok()
            .flatten()
            .map(|(holder, _)| holder)
    }
}

impl TradingLease for Lease {
    fn held(&self) -> bool {
        self.clock.now_ms() < self.valid_until_ms.load(Ordering::Acquire)
    }

    fn lapsed_because(&self) -> Option<String> {
        // The database's own words are in the log ("the lease could not be renewed"); a
        // refusal a trader reads says what happened and what to do.
        (!self.held() && self.failed.load(Ordering::Acquire)).then(|| {
            "not sent: this process could not renew its trading lease (the database did not \
             answer), so it sends nothing until it holds the lease again — within seconds of \
             the database answering; place the order again then"
                .to_owned()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use osp_core::ports::StoreError;
    use osp_core::testing::ManualClock;

    /// A store that answers `Ok(held)`, or fails while `down`.
    struct Store {
        held: AtomicBool,
        down: AtomicBool,
    }

    #[async_trait]
    impl LeaseStore for Store {
        async fn acquire(&self, _: &str, _: &str, _: i64, _: i64) -> Result<bool, StoreError> {
            if self.down.load(Ordering::SeqCst) {
                return Err(StoreError::unavailable_because(
                    "the lease",
                    "connection refused",
                ));
            }
            Ok(self.held.load(Ordering::SeqCst))
        }
        async fn release(&self, _: &str, _: &str) -> Result<(), StoreError> {
            Ok(())
        }
        async fn holder(&self, _: &str) -> Result<Option<(String, i64)>, StoreError> {
            Ok(None)
        }
    }

    #[test]
    fn a_lease_lost_to_a_silent_database_says_so_and_one_held_elsewhere_does_not() {
        let store = Arc::new(Store {
            held: AtomicBool::new(true),
            down: AtomicBool::new(false),
        });
        let clock = Arc::new(ManualClock::at(1_000));
        let lease = Lease::new(store.clone(), clock, TRADING_LEASE, Duration::from_secs(3));
        osp_core::testing::run(async {
            assert_eq!(lease.try_hold().await, Ok(true));
            assert!(lease.held() && lease.lapsed_because().is_none());

            store.down.store(true, Ordering::SeqCst);
            assert!(lease.try_hold().await.is_err());
            assert!(!lease.held());
            let why = lease.lapsed_because().expect("a reason");
            assert!(why.contains("database did not answer"), "{why}");
            assert!(
                !why.contains("connection refused"),
                "the database's own words: {why}"
            );

            // Back, but another process took it meanwhile: a standby, nothing about the database.
            store.down.store(false, Ordering::SeqCst);
            store.held.store(false, Ordering::SeqCst);
            assert_eq!(lease.try_hold().await, Ok(false));
            assert_eq!(lease.lapsed_because(), None);
        });
    }
}
