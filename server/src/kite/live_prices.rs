//! Live prices: the ticker's sink. Each frame's packets become the core's `Tick`s and go to the
//! `PriceService` (latest, candles, one publish per tick on the bus). The ticker's order
//! updates become domain events (`BrokerOrder`) on a broadcast channel for the trading engine.

use std::sync::Arc;
use std::time::Duration;

use osp_core::model::BrokerOrder;
use osp_core::ports::{Clock, MarketData};
use osp_core::services::prices::PriceService;
use tokio::sync::broadcast;

use kite_connect::broker::domain_order;
use kite_connect::ticker::{ServerText, TickSink, TickerPacket};

pub struct LivePrices {
    prices: Arc<PriceService>,
    clock: Arc<dyn Clock>,
    order_events: broadcast::Sender<BrokerOrder>,
}

impl LivePrices {
    pub fn new(prices: Arc<PriceService>, clock: Arc<dyn Clock>) -> Arc<LivePrices> {
        Arc::new(LivePrices {
            prices,
            clock,
            order_events: broadcast::channel(256).0,
        })
    }

    /// Where order updates from elsewhere (Kite's postbacks) join the ticker's.
    pub fn order_sender(&self) -> broadcast::Sender<BrokerOrder> {
        self.order_events.clone()
    }

    /// Order updates from the broker's ticker, as domain events, in arrival order.
    pub fn order_events(&self) -> broadcast::Receiver<BrokerOrder> {
        self.order_events.subscribe()
    }

    /// Waits for the first prices; `false` if none came within `timeout`.
    pub async fn wait_for_first_update(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.prices.last_update_ms().is_none() {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }
}

impl TickSink for LivePrices {
    fn on_packets(&self, packets: &[TickerPacket]) {
        let now = self.clock.now_ms();
        self.prices
            .on_ticks(packets.iter().map(|p| p.to_tick(now)), now);
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
