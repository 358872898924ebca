//! Where orders go, chosen once at start-up from the mode: in demo mode the simulator's matching
//! engine through the real Kite client (`KiteBroker`); in paper mode the `PaperBroker`, which
//! holds no Kite client at all — so a paper order cannot reach Kite whatever any other code
//! does; in live mode Kite itself, through the same client. Demo's client can only point at
//! the in-process simulator and live's never does (the configuration refuses either the
//! other way, and this refuses it again). The venue also says where order updates come from
//! (Kite's ticker and postbacks, or the paper broker's own channel); for paper, the paper
//! broker the paper matcher worker drives. Kite's alerts that only tell are there in every
//! mode; alerts that place orders at Kite (ATO) only where orders go to Kite — a paper venue has
//! none, so an ATO alert cannot be made in paper mode whatever any other code does.

use std::sync::Arc;

use osp_core::model::{BrokerOrder, TradingMode};
use osp_core::ports::{Broker, BrokerAlerts, BrokerOrderAlerts, Clock, MarketData, OrderUpdates};
use osp_core::services::instruments::InstrumentCatalog;
use osp_core::services::trading::{PaperAccountDesk, PaperBroker, PaperSettings};
use tokio::sync::broadcast;

use crate::config::Settings;
use crate::database::Database;
use crate::kite::market::KiteMarket;
use kite_connect::alerts::{KiteAlerts, KiteOrderAlerts};
use kite_connect::broker::KiteBroker;

/// How many paper order updates may wait for the trading worker.
const PAPER_UPDATES_CAPACITY: usize = 1024;

pub struct Venue {
    pub broker: Arc<dyn Broker>,
    /// Order updates, subscribed before anything is sent (so no fill is missed).
    pub order_events: broadcast::Receiver<BrokerOrder>,
    /// The paper account, in paper mode (shown and reset from the UI).
    pub paper: Option<Arc<PaperAccountDesk>>,
    /// The paper broker, whose resting orders the paper matcher worker fills on ticks.
    pub paper_broker: Option<Arc<PaperBroker>>,
    /// Kite's alerts that only tell (every mode: they send no order).
    pub alerts: Arc<dyn BrokerAlerts>,
    /// Kite's alerts that place orders (ATO): demo and live only.
    pub alert_orders: Option<Arc<dyn BrokerOrderAlerts>>,
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
    market: &KiteMarket,
    simulated: bool,
    database: &Database,
    catalog: &Arc<InstrumentCatalog>,
    clock: &Arc<dyn Clock>,
) -> anyhow::Result<Venue> {
    let kite_alerts = Arc::new(KiteAlerts::new(market.client.clone(), catalog.clone()));
    // A simulator in another process (`osp kite-sim`, shared by a scale-out layout) is reached
    // over plain http://; Zerodha only over https.
    let shared_simulator = matches!(
        &settings.kite.endpoint,
        crate::config::KiteEndpoint::Remote(e) if e.api_root.starts_with("http://")
    );
    match settings.mode {
        TradingMode::Demo if !simulated && !shared_simulator => {
            anyhow::bail!(
                "demo mode trades only on a simulator (in process, or an osp kite-sim at an http:// address)"
            )
        }
        TradingMode::Live if simulated => {
            anyhow::bail!("live mode trades only on Kite, never on the simulator")
        }
        TradingMode::Demo | TradingMode::Live => {
            if settings.mode == TradingMode::Live {
                tracing::warn!(
                    api_root = %market.client.endpoints().api_root,
                    "LIVE MODE: orders go to Kite and are real"
                );
            }
            Ok(Venue {
                broker: Arc::new(KiteBroker::new(market.client.clone())),
                order_events: market.live.order_events(),
                paper: None,
                paper_broker: None,
                alerts: kite_alerts.clone(),
                alert_orders: Some(Arc::new(KiteOrderAlerts::new(kite_alerts))),
            })
        }
        TradingMode::Paper => {
            let (sender, order_events) = broadcast::channel(PAPER_UPDATES_CAPACITY);
            let paper = Arc::new(PaperBroker::new(
                market.prices.clone() as Arc<dyn MarketData>,
                catalog.clone(),
                clock.clone(),
                Arc::new(BroadcastUpdates(sender)),
                PaperSettings {
                    slippage_bp: settings.paper.slippage_bp,
                    capital: settings.paper.capital,
                },
            ));
            let desk = Arc::new(PaperAccountDesk::new(
                paper.clone(),
                Arc::new(database.clone()),
                Arc::new(database.clone()),
                Arc::new(database.clone()),
                clock.clone(),
            ));
            desk.restore()
                .await
                .map_err(|e| anyhow::anyhow!("the paper account could not be restored: {e}"))?;
            Ok(Venue {
                broker: paper.clone() as Arc<dyn Broker>,
                order_events,
                paper: Some(desk),
                paper_broker: Some(paper),
                alerts: kite_alerts,
                alert_orders: None,
            })
        }
    }
}
