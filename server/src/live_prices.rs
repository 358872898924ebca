//! Live prices: the ticker's sink. Each frame's packets go into the core's `PriceBook`; the new
//! snapshot is published in a `SnapshotCell` (browsers and status read the newest, never a
//! backlog). Implements the `MarketData` port through it. The ticker's order updates become
//! domain events (`BrokerOrder`) on a broadcast channel for the trading engine.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use osp_core::model::{BrokerOrder, Exchange, InstrumentToken, MarketSnapshot};
use osp_core::ports::{Clock, MarketData};
use osp_core::services::prices::PriceBook;
use tokio::sync::{broadcast, watch};

use crate::integrations::kite::broker::domain_order;
use crate::integrations::kite::ticker::{ServerText, TickSink, TickerPacket};
use crate::snapshot_cell::SnapshotCell;

pub struct LivePrices {
    book: Mutex<PriceBook>,
    cell: SnapshotCell,
    clock: Arc<dyn Clock>,
    order_events: broadcast::Sender<BrokerOrder>,
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
            order_events: broadcast::channel(256).0,
        })
    }

    /// Order updates from the broker's ticker, as domain events, in arrival order.
    pub fn order_events(&self) -> broadcast::Receiver<BrokerOrder> {
        self.order_events.subscribe()
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

    fn on_text(&self, text: ServerText) {
        match text {
            ServerText::Order(update) => {
                // No subscriber yet is fine: the order book is the record.
                let _ = self.order_events.send(domain_order(update.order));
            }
            ServerText::Error(message) => tracing::warn!(%message, "the ticker reported an error"),
            ServerText::Message(message) => tracing::info!(%message, "message from the ticker"),
            ServerText::Other(kind) => tracing::debug!(%kind, "unknown ticker text frame"),
        }
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
