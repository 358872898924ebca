//! `GatedFeed`: Kite's ticker only in the process whose workers use it. When several
//! `osp workers` share a bus (a leader and hot standbys), only the one holding the trading or
//! the alerts lease connects to Kite's ticker — an API key gets 3 connections in all — and
//! relays the ticks to everyone else; a standby keeps what is wanted and subscribes all of it
//! the moment it takes a lease over.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use osp_core::model::{FeedChange, FeedMode, InstrumentToken};
use osp_core::ports::{MarketFeed, TradingLease};
use tokio_util::sync::CancellationToken;

/// How often the leases are looked at.
const WATCH_EVERY: Duration = Duration::from_millis(250);

pub struct GatedFeed {
    inner: Arc<dyn MarketFeed>,
    /// Everything wanted, whether or not passed on.
    wanted: Mutex<HashMap<InstrumentToken, FeedMode>>,
    open: AtomicBool,
}

impl GatedFeed {
    /// Closed until `open_while` says a lease is held.
    pub fn new(inner: Arc<dyn MarketFeed>) -> Arc<GatedFeed> {
        Arc::new(GatedFeed {
            inner,
            wanted: Mutex::new(HashMap::new()),
            open: AtomicBool::new(false),
        })
    }

    fn wanted(&self) -> std::sync::MutexGuard<'_, HashMap<InstrumentToken, FeedMode>> {
        self.wanted.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    /// Opens (subscribing everything wanted) while any of `leases` is held here, closes
    /// (unsubscribing it) when none is; until `shutdown`.
    pub fn open_while(
        self: &Arc<Self>,
        leases: Vec<Arc<dyn TradingLease>>,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(WATCH_EVERY);
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = every.tick() => {}
                }
                let held = leases.iter().any(|l| l.held());
                this.set_open(held);
            }
        })
    }

    fn set_open(&self, open: bool) {
        let wanted = self.wanted();
        if self.open.swap(open, Ordering::AcqRel) == open {
            return;
        }
        let all: Vec<(InstrumentToken, FeedMode)> = wanted.iter().map(|(t, m)| (*t, *m)).collect();
        tracing::info!(
            open,
            instruments = all.len(),
            "Kite's ticker {} in this process",
            if open { "connects" } else { "is let go" }
        );
        let change = if open {
            FeedChange {
                subscribe: all,
                unsubscribe: Vec::new(),
            }
        } else {
            FeedChange {
                subscribe: Vec::new(),
                unsubscribe: all.into_iter().map(|(t, _)| t).collect(),
            }
        };
        if !change.is_empty() {
            self.inner.apply(change);
        }
    }
}

impl MarketFeed for GatedFeed {
    fn apply(&self, change: FeedChange) {
        // Under the same lock as opening and closing: no change slips between them.
        let mut wanted = self.wanted();
        for token in &change.unsubscribe {
            wanted.remove(token);
        }
        for (token, mode) in &change.subscribe {
            wanted.insert(*token, *mode);
        }
        if self.open.load(Ordering::Acquire) {
            self.inner.apply(change);
        }
    }

    fn capacity(&self) -> usize {
        self.inner.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Recorded(Mutex<Vec<FeedChange>>);

    impl MarketFeed for Recorded {
        fn apply(&self, change: FeedChange) {
            self.0.lock().unwrap().push(change);
        }
        fn capacity(&self) -> usize {
            9000
        }
    }

    #[test]
    fn nothing_reaches_the_ticker_until_opened_then_everything_wanted_does() {
        let inner = Arc::new(Recorded::default());
        let gate = GatedFeed::new(inner.clone());
        let infy = InstrumentToken(408_065);
        let sbin = InstrumentToken(779_521);
        gate.apply(FeedChange {
            subscribe: vec![(infy, FeedMode::Quote), (sbin, FeedMode::Ltp)],
            unsubscribe: vec![],
        });
        gate.apply(FeedChange {
            subscribe: vec![],
            unsubscribe: vec![sbin],
        });
        assert!(
            inner.0.lock().unwrap().is_empty(),
            "closed: nothing passed on"
        );
        gate.set_open(true);
        gate.set_open(true);
        let changes = inner.0.lock().unwrap().clone();
        assert_eq!(changes.len(), 1, "opened once: {changes:?}");
        assert_eq!(changes[0].subscribe, vec![(infy, FeedMode::Quote)]);
        // Open: changes pass at once; closing lets go of everything.
        gate.apply(FeedChange {
            subscribe: vec![(sbin, FeedMode::Full)],
            unsubscribe: vec![],
        });
        gate.set_open(false);
        let changes = inner.0.lock().unwrap().clone();
        assert_eq!(changes.len(), 3);
        assert_eq!(changes[1].subscribe, vec![(sbin, FeedMode::Full)]);
        let mut let_go = changes[2].unsubscribe.clone();
        let_go.sort();
        assert_eq!(let_go, vec![infy, sbin]);
    }
}
