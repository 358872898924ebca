//! Where orders go, chosen once at start-up from the mode: in demo mode the simulator's matching
//! engine through the real Kite client (`KiteBroker`); in paper mode the `PaperBroker`, which
//! holds no Kite client at all — so a paper order cannot reach Kite whatever any other code
//! does. The venue also says where order updates come from (Kite's ticker, or the paper
//! broker's own channel) and, for paper, runs the matcher that fills resting orders on ticks.

use std::sync::Arc;

use osp_core::model::{BrokerOrder, Price, TradingMode};
use osp_core::ports::{
    Broker, Clock, IntentStore, Interest, MarketData, OrderUpdates, TickBus, TradeStore,
};
use osp_core::services::instruments::InstrumentCatalog;
use osp_core::services::trading::{MAX_TRADES, PaperBroker, PaperSettings};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::database::Database;
use crate::demo::DemoMarket;
use crate::integrations::kite::broker::KiteBroker;

/// How many paper order updates may wait for the trading worker.
const PAPER_UPDATES_CAPACITY: usize = 1024;

pub struct Venue {
    pub broker: Arc<dyn Broker>,
    /// Order updates, subscribed before anything is sent (so no fill is missed).
    pub order_events: broadcast::Receiver<BrokerOrder>,
    /// The paper broker, in paper mode (its account for the UI).
    pub paper: Option<Arc<PaperBroker>>,
    /// The paper matcher; stops with the shutdown token.
    pub matcher: Option<tokio::task::JoinHandle<()>>,
}

/// The paper broker's updates onto a broadcast channel (never blocks; a reader that falls
/// behind is told it lagged and reads the book instead).
struct BroadcastUpdates(broadcast::Sender<BrokerOrder>);

impl OrderUpdates for BroadcastUpdates {
    fn publish(&self, order: &BrokerOrder) {
        let _ = self.0.send(order.clone());
    }
}

pub async fn choose(
    settings: &Settings,
    demo: &DemoMarket,
    database: &Database,
    catalog: &Arc<InstrumentCatalog>,
    clock: &Arc<dyn Clock>,
    shutdown: &CancellationToken,
) -> anyhow::Result<Venue> {
    match settings.mode {
        TradingMode::Demo => Ok(Venue {
            broker: Arc::new(KiteBroker::new(demo.client.clone())),
            order_events: demo.live.order_events(),
            paper: None,
            matcher: None,
        }),
        TradingMode::Paper => {
            let (sender, order_events) = broadcast::channel(PAPER_UPDATES_CAPACITY);
            let paper = Arc::new(PaperBroker::new(
                demo.prices.clone() as Arc<dyn MarketData>,
                catalog.clone(),
                clock.clone(),
                Arc::new(BroadcastUpdates(sender)),
                PaperSettings {
                    slippage_bp: settings.paper.slippage_bp,
                    capital: settings.paper.capital,
                },
            ));
            restore(&paper, database).await?;
            let ticks = demo.bus.subscribe(Interest::All);
            let matcher = tokio::spawn({
                let paper = paper.clone();
                let shutdown = shutdown.clone();
                async move {
                    loop {
                        tokio::select! {
                            _ = shutdown.cancelled() => break,
                            batch = ticks.next_batch() => match batch {
                                Some(batch) => {
                                    for tick in &batch {
                                        paper.on_tick(tick);
                                    }
                                }
                                None => break,
                            },
                        }
                    }
                }
            });
            Ok(Venue {
                broker: paper.clone() as Arc<dyn Broker>,
                order_events,
                paper: Some(paper),
                matcher: Some(matcher),
            })
        }
        TradingMode::Live => {
            anyhow::bail!("live trading is not available in this build (configuration refuses it)")
        }
    }
}

/// The paper book and account after a restart: resting orders, open positions, realised profit.
async fn restore(paper: &PaperBroker, database: &Database) -> anyhow::Result<()> {
    let open = IntentStore::open(database)
        .await
        .map_err(|e| anyhow::anyhow!("cannot read the open paper orders: {e}"))?;
    let active = TradeStore::active(database)
        .await
        .map_err(|e| anyhow::anyhow!("cannot read the open paper trades: {e}"))?;
    let realised = TradeStore::recent(database, MAX_TRADES)
        .await
        .map_err(|e| anyhow::anyhow!("cannot read the paper trades: {e}"))?
        .iter()
        .fold(Price::ZERO, |sum, t| {
            sum.checked_add(t.realised).unwrap_or(sum)
        });
    paper.restore(&open, &active, realised);
    Ok(())
}
