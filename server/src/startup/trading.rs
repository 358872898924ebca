//! The third builder: the trading services — the venue (chosen once from the mode), the risk
//! state and its gate, the trading lease, the order executor (which cannot be built without
//! the gate and the broker session), the level trader and service, the trade monitor, the desk
//! of Kite's alerts (an ATO alert is an order Kite holds: its basket meets the gate, and the
//! risk service's kill switch takes it back out of Kite's hands) and the risk service — and the
//! trading engine the trading worker drives over them.

use std::sync::Arc;

use osp_core::model::BrokerOrder;
use osp_core::ports::{
    BrokerAlertStore, IntentStore, LevelStore, MarketData, RiskStore, TradeStore, TradingLease,
};
use osp_core::services::alerts::BrokerAlertDesk;
use osp_core::services::announcer::Announcer;
use osp_core::services::trading::{
    EntryCount, LevelService, LevelTrader, OrderExecutor, PaperAccountDesk, PaperBroker, Portfolio,
    PreTradeCheck, RiskGate, RiskService, RiskState, StandingOrders, TradeService,
    TradeServiceParts, TradingEngine, TradingEngineParts,
};
use tokio::sync::broadcast;

use super::infra::Infra;
use super::market_data::Market;
use crate::config::Settings;
use crate::venue;
use crate::workers::{Lease, TRADING_LEASE};

pub(super) struct Trading {
    pub risk_state: Arc<RiskState>,
    /// Only the process holding it sends orders (the trading worker runs under it).
    pub lease: Arc<Lease>,
    pub executor: Arc<OrderExecutor>,
    pub trader: Arc<LevelTrader>,
    pub levels: Arc<LevelService>,
    pub trades: Arc<TradeService>,
    pub risk: Arc<RiskService>,
    /// The trading loop the trading worker drives: level monitor, executor, trade monitor.
    pub engine: Arc<TradingEngine>,
    /// The paper account, in paper mode (shown and reset from the UI).
    pub paper: Option<Arc<PaperAccountDesk>>,
    /// The paper broker, whose resting orders the paper matcher fills on ticks.
    pub paper_broker: Option<Arc<PaperBroker>>,
    /// Order updates, subscribed before anything was sent (so no fill is missed); taken by
    /// the workers builder for the trading worker's first run.
    pub order_events: Option<broadcast::Receiver<BrokerOrder>>,
    /// Kite's own alerts (simple and ATO): made at Kite, mirrored, synced; ATO ones only where
    /// the venue sends orders to Kite (demo and live).
    pub kite_alerts: Arc<BrokerAlertDesk>,
}

impl Trading {
    pub async fn build(
        settings: &Settings,
        infra: &Infra,
        market: &Market,
    ) -> anyhow::Result<Trading> {
        let (database, clock, topology) = (&infra.database, &infra.clock, &infra.topology);
        let catalog = &market.catalog;
        // Orders go to the venue chosen here, once: demo mode's simulator through the real Kite
        // client, or paper mode's paper broker (which holds no Kite client). Its order updates
        // are subscribed before anything is sent, so no fill reported from here on is missed.
        let venue = venue::choose(
            settings,
            &market.market,
            market.demo.is_some(),
            database,
            catalog,
            clock,
        )
        .await?;
        // Every order passes the account's risk limits and kill switch (stored, so a switch
        // engaged before a restart still holds) before it can reach the broker.
        let risk_store = Arc::new(database.clone()) as Arc<dyn RiskStore>;
        let risk_state = Arc::new(
            RiskService::load_state(risk_store.as_ref())
                .await
                .map_err(|e| anyhow::anyhow!("cannot load the risk settings: {e}"))?,
        );
        if risk_state.halted() {
            tracing::warn!(
                "the kill switch is on: no level triggers and no entry order goes out until it is released on the Trades page"
            );
        }
        // The trades that count for today, in memory: the trade monitor writes them, the gate
        // reads them at every entry (loaded with the trades below, before anything is sent).
        let portfolio = Arc::new(Portfolio::new());
        let gate = Arc::new(RiskGate {
            state: risk_state.clone(),
            intents: Arc::new(database.clone()) as Arc<dyn IntentStore>,
            portfolio: portfolio.clone(),
            entries: EntryCount::default(),
            market: market.market.prices.clone() as Arc<dyn MarketData>,
            catalog: catalog.clone(),
            clock: clock.clone(),
            // With the web side elsewhere, its kill switch is read at every order, not only
            // when the bus says so.
            stored: topology.workers_on_a_bus().then(|| risk_store.clone()),
        }) as Arc<dyn PreTradeCheck>;
        let lease = trading_lease(infra).await;
        let executor = Arc::new(topology.executor(
            OrderExecutor::new(
                Arc::new(database.clone()) as Arc<dyn IntentStore>,
                venue.broker.clone(),
                clock.clone(),
                gate.clone(),
                market.session.clone(),
            ),
            lease.clone() as Arc<dyn TradingLease>,
        ));
        let level_store = Arc::new(database.clone()) as Arc<dyn LevelStore>;
        let mut trader = LevelTrader::new(
            level_store.clone(),
            executor.clone(),
            catalog.clone(),
            market.subscriptions.clone(),
            clock.clone(),
            risk_state.clone(),
        )
        .with_session(market.session.clone());
        if let Some(live) = topology.levels_live() {
            trader = trader.with_live(live);
        }
        let trader = Arc::new(trader);
        let watched = trader
            .load()
            .await
            .map_err(|e| anyhow::anyhow!("cannot load the levels: {e}"))?;
        tracing::info!(levels = watched, "levels loaded");
        let mut levels =
            LevelService::new(level_store, catalog.clone(), trader.clone(), clock.clone());
        if let Some(announce) = topology.announce() {
            levels = levels.with_changes(announce);
        }
        let trades = TradeService::new(TradeServiceParts {
            store: Arc::new(database.clone()) as Arc<dyn TradeStore>,
            levels: Arc::new(database.clone()) as Arc<dyn LevelStore>,
            executor: executor.clone(),
            catalog: catalog.clone(),
            market: market.market.prices.clone() as Arc<dyn MarketData>,
            subscriptions: market.subscriptions.clone(),
            clock: clock.clone(),
            square_off_minute: settings.trading.square_off_minute,
            stop_fill_grace_ms: settings.trading.stop_fill_grace_ms,
            portfolio,
        });
        let trades = Arc::new(match topology.announce() {
            // A trade adopted through a web process apart is watched by the workers at once.
            Some(announce) => trades.with_changes(announce),
            None => trades,
        });
        // Open trades are watched again, and fills a crash left unapplied open their trades
        // (by the workers: a web process apart from them watches nothing and catches up nothing).
        if topology.runs_workers() {
            let report = trades
                .load()
                .await
                .map_err(|e| anyhow::anyhow!("cannot load the trades: {e}"))?;
            for error in &report.errors {
                tracing::warn!(%error, "trade catch-up at start-up");
            }
            // Before anything new is sent, and with the portfolio the gate reads loaded: orders
            // a crash left pending are found by tag or sent (by the lease holder only; a
            // standby's trading worker does it once it takes over).
            match executor.reconcile_pending().await {
                Ok(changed) => {
                    for intent in &changed {
                        for error in trades.on_intent(intent).await.errors {
                            tracing::warn!(%error, "trade catch-up at start-up");
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "pending orders could not be reconciled at start-up; the trading worker retries every minute")
                }
            }
        }
        // Kite's alerts: an ATO basket meets the same gate before Kite is given it.
        let ato_alerts = venue.alert_orders.is_some();
        let kite_alerts = Arc::new(BrokerAlertDesk::new(
            venue.alerts,
            venue.alert_orders,
            Arc::new(database.clone()) as Arc<dyn BrokerAlertStore>,
            catalog.clone(),
            clock.clone(),
            gate.clone(),
        ));
        let mut risk = RiskService::new(
            risk_store,
            risk_state.clone(),
            executor.clone(),
            trades.clone(),
            clock.clone(),
        );
        if let Some(announce) = topology.announce() {
            risk = risk.with_changes(announce);
        }
        if ato_alerts {
            // Engaging the kill switch takes the ATO alerts out of Kite's hands.
            risk = risk.with_standing_orders(kite_alerts.clone() as Arc<dyn StandingOrders>);
        }
        let risk = Arc::new(risk);
        let engine = Arc::new(TradingEngine::new(TradingEngineParts {
            trader: trader.clone(),
            trades: trades.clone(),
            risk: risk.clone(),
            executor: executor.clone(),
            announce: Announcer::maybe(topology.announce()),
            // The limits are read again at each housekeeping when the web side runs apart.
            web_apart: topology.workers_on_a_bus(),
        }));
        Ok(Trading {
            risk_state,
            lease,
            executor,
            trader,
            levels: Arc::new(levels),
            trades,
            risk,
            engine,
            paper: venue.paper,
            paper_broker: venue.paper_broker,
            order_events: Some(venue.order_events),
            kite_alerts,
        })
    }
}

/// Only the process holding the trading lease sends orders: a second `osp serve` on the same
/// database stands by (and refuses its own orders with the reason) until the lease lapses or
/// is given up. A web process apart from the workers never takes it: it sends no order at all.
async fn trading_lease(infra: &Infra) -> Arc<Lease> {
    let lease = infra.lease(TRADING_LEASE);
    if !infra.topology.runs_workers() {
        return lease;
    }
    match lease.try_hold().await {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            holder = %lease.current_holder().await.unwrap_or_default(),
            "another server process holds the trading lease on this database: this one \
             stands by and sends no orders until that one stops"
        ),
        Err(e) => {
            tracing::warn!(error = %e, "the trading lease could not be taken; trying again")
        }
    }
    lease
}
