//! `SnapshotCell`: the newest market snapshot and when it was published, shared by a producer
//! and any number of readers. A `watch` channel holds only the newest value, so a slow reader
//! gets the latest prices, never a backlog. Implements the `MarketData` port.

use std::sync::atomic::{AtomicI64, Ordering};

use osp_core::model::MarketSnapshot;
use osp_core::ports::MarketData;
use tokio::sync::watch;

/// `last_update_ms` before the first publish.
const NEVER: i64 = i64::MIN;

pub struct SnapshotCell {
    updates: watch::Sender<MarketSnapshot>,
    last_update_ms: AtomicI64,
}

impl SnapshotCell {
    /// Starts with `initial`, which does not count as an update.
    pub fn new(initial: MarketSnapshot) -> Self {
        Self {
            updates: watch::channel(initial).0,
            last_update_ms: AtomicI64::new(NEVER),
        }
    }

    pub fn publish(&self, snapshot: MarketSnapshot, at_ms: i64) {
        self.updates.send_replace(snapshot);
        self.last_update_ms.store(at_ms, Ordering::Relaxed);
    }

    /// A receiver that always sees the newest snapshot.
    pub fn subscribe(&self) -> watch::Receiver<MarketSnapshot> {
        self.updates.subscribe()
    }
}

impl MarketData for SnapshotCell {
    fn snapshot(&self) -> MarketSnapshot {
        self.updates.borrow().clone()
    }

    fn last_update_ms(&self) -> Option<i64> {
        match self.last_update_ms.load(Ordering::Relaxed) {
            NEVER => None,
            at => Some(at),
        }
    }
}
