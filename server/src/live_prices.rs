//! Live prices: the ticker's sink. Each frame's packets go into the core's `PriceBook`; the new
//! snapshot is published in a `SnapshotCell` (browsers and status read the newest, never a
//! backlog). Implements the `MarketData` port through it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use osp_core::model::{Exchange, InstrumentToken, MarketSnapshot};
use osp_core::ports::{Clock, MarketData};
use osp_core::services::prices::PriceBook;
use tokio::sync::watch;

use crate::integrations::kite::ticker::{TickSink, TickerPacket};
use crate::snapshot_cell::SnapshotCell;

pub struct LivePrices {
    book: Mutex<PriceBook>,
    cell: SnapshotCell,
    clock: Arc<dyn Clock>,
}

impl LivePrices {
    pub fn new(
        instruments: impl IntoIterator<Item = (InstrumentToken, String, Exchange)>,
        clock: Arc<dyn Clock>,
    ) -> Arc<LivePrices> {
        let book = PriceBook::new(instruments);
        Arc::new(LivePrices {
            cell: SnapshotCell::new(book.snapshot()),
            book: Mutex::new(book),
            clock,
        })
    }

    pub fn subscribe(&self) -> watch::Receiver<MarketSnapshot> {
        self.cell.subscribe()
    }

    /// Waits for the first prices; `false` if none came within `timeout`.
    pub async fn wait_for_first_update(&self, timeout: Duration) -> bool {
        let mut rx = self.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(|s| !s.quotes.is_empty()))
            .await
            .is_ok_and(|r| r.is_ok())
    }
}

impl TickSink for LivePrices {
    fn on_packets(&self, packets: &[TickerPacket]) {
        let now = self.clock.now_ms();
        let snapshot = {
            // A poisoned lock means a panic mid-update of plain values; the book is still usable.
            let mut book = self.book.lock().unwrap_or_else(|p| p.into_inner());
            if !book.apply_batch(packets.iter().map(|p| p.to_tick(now))) {
                return;
            }
            book.snapshot()
        };
        self.cell.publish(snapshot, now);
    }
}

impl MarketData for LivePrices {
    fn snapshot(&self) -> MarketSnapshot {
        self.cell.snapshot()
    }

    fn last_update_ms(&self) -> Option<i64> {
        self.cell.last_update_ms()
    }
}
