//! `KiteFeed`: the core's `MarketFeed` over the sharded ticker (`TickerPool`). Changes are
//! queued and applied by one task in the order they were decided, so an unsubscribe can never
//! overtake the subscribe it follows.

use std::sync::Arc;

use osp_core::model::{FeedChange, FeedMode};
use osp_core::ports::MarketFeed;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::ticker::{TickerMode, TickerPool};

pub fn ticker_mode(mode: FeedMode) -> TickerMode {
    match mode {
        FeedMode::Ltp => TickerMode::Ltp,
        FeedMode::Quote => TickerMode::Quote,
        FeedMode::Full => TickerMode::Full,
    }
}

pub struct KiteFeed {
    changes: mpsc::UnboundedSender<FeedChange>,
    capacity: usize,
}

impl KiteFeed {
    pub fn spawn(pool: Arc<TickerPool>, shutdown: CancellationToken) -> Self {
        let (changes, mut rx) = mpsc::unbounded_channel::<FeedChange>();
        let capacity = pool.capacity();
        tokio::spawn(async move {
            loop {
                let change = tokio::select! {
                    change = rx.recv() => match change {
                        Some(change) => change,
                        None => return,
                    },
                    _ = shutdown.cancelled() => return,
                };
                if !change.unsubscribe.is_empty() {
                    pool.unsubscribe(change.unsubscribe.iter().map(|t| t.0).collect())
                        .await;
                }
                for mode in [FeedMode::Ltp, FeedMode::Quote, FeedMode::Full] {
                    let tokens: Vec<u32> = change
                        .subscribe
                        .iter()
                        .filter(|(_, m)| *m == mode)
                        .map(|(t, _)| t.0)
                        .collect();
                    if tokens.is_empty() {
                        continue;
                    }
                    // The interests refuse more than the capacity first, so this is a bug if hit.
                    if let Err(e) = pool.subscribe(tokens, ticker_mode(mode)).await {
                        tracing::error!(error = %e, "the ticker refused a subscription");
                    }
                }
            }
        });
        Self { changes, capacity }
    }
}

impl MarketFeed for KiteFeed {
    fn apply(&self, change: FeedChange) {
        // Closed only at shutdown, when nothing needs prices any more.
        let _ = self.changes.send(change);
    }

    fn capacity(&self) -> usize {
        self.capacity
    }
}
