//! The trading lease as this process holds it: taken and renewed in the database
//! (`LeaseStore`), and believed held only until the moment it would lapse unrenewed — so a
//! renewal that stalls stops this process sending before another one can take over.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
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
    /// The last renewal's failure, while it is not held because of it.
    failed: Mutex<Option<String>>,
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
            failed: Mutex::new(None),
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
        *self.failed.lock().unwrap_or_else(|p| p.into_inner()) =
            result.as_ref().err().map(ToString::to_string);
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
        if self.held() {
            return None;
        }
        let failed = self.failed.lock().unwrap_or_else(|p| p.into_inner());
        failed.as_ref().map(|e| {
            format!(
                "not sent: this process could not renew its trading lease ({e}), so it sends \
                 nothing until it holds the lease again — within seconds once the database \
                 answers; place the order again then"
            )
        })
    }
}
