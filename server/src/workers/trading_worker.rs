//! The trading worker: feeds every tick batch from the bus to the `TradeService` (the trade
//! monitor: trailing stops and exits) and, on a subscription and a task of its own, to the
//! `LevelTrader` (the level monitor and the entry orders it places) — so an entry whose
//! placement hangs (a slow or lost answer from the broker) never holds back a stop-loss exit or
//! an order update. Every broker order update goes to the `OrderExecutor` and the intent it
//! changed to the trade service (fills open and close trades); once a minute (and whenever
//! updates were missed) it applies daily re-arms, reconciles pending orders, catches open ones
//! up with the broker's book, squares off intraday trades past their time and applies what a
//! crash left unapplied. It holds no rule.

use std::sync::Arc;
use std::time::Duration;

use osp_core::model::{BrokerOrder, IntentState, OrderIntent, StateChange};
use osp_core::ports::{Interest, TickBus, TickSubscription};
use osp_core::services::announcer::Announcer;
use osp_core::services::trading::{
    LevelTrader, OrderExecutor, RiskService, StepReport, TradeReport, TradeService,
};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::changes::next_change;

/// How often re-arms, reconciliation, square-off and catch-up run.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(60);
/// While a placement's answer is outstanding, the broker's book is asked this often.
const ANSWERS_EVERY: Duration = Duration::from_secs(1);

pub struct TradingWorker {
    pub trader: Arc<LevelTrader>,
    pub trades: Arc<TradeService>,
    pub risk: Arc<RiskService>,
    pub executor: Arc<OrderExecutor>,
    pub bus: Arc<dyn TickBus>,
    pub order_events: broadcast::Receiver<BrokerOrder>,
    /// Read levels, trades and limits from the store before the first step: a restart, or a
    /// take-over from another process (a run right after start-up has them fresh already).
    pub reload: bool,
    /// What the web processes changed, when they run apart (`None` in one process): levels,
    /// limits and the kill switch are read again, and orders they recorded are sent.
    pub changes: Option<broadcast::Receiver<StateChange>>,
    /// Told of each trigger, fill or closed trade, so web processes apart push it at once.
    pub announce: Announcer,
}

fn log_levels(report: &StepReport) {
    for entry in &report.entries {
        tracing::info!(
            level = entry.level.0,
            kind = entry.kind.label(),
            price = %entry.price,
            detail = %entry.detail,
            "level event"
        );
    }
    for error in &report.errors {
        tracing::error!(%error, "level monitor");
    }
}

fn log_trades(report: &TradeReport) {
    for note in &report.notes {
        tracing::info!(%note, "trade event");
    }
    for error in &report.errors {
        tracing::error!(%error, "trade monitor");
    }
}

/// What the executor changed reaches the trades (fills open and close them).
async fn apply_intents(trades: &TradeService, announce: &Announcer, intents: &[OrderIntent]) {
    if !intents.is_empty() {
        announce.tell(StateChange::Activity);
    }
    for intent in intents {
        metrics::counter!("osp_order_updates_total", "state" => intent.state.code()).increment(1);
        log_trades(&trades.on_intent(intent).await);
    }
}

/// The level monitor's loop: each batch's crossings, and the entry orders they place, on a
/// subscription of its own — a slow placement here waits alone.
struct Entries {
    trader: Arc<LevelTrader>,
    trades: Arc<TradeService>,
    announce: Announcer,
}

impl Entries {
    async fn run(self, ticks: Box<dyn TickSubscription>, stop: CancellationToken) {
        loop {
            let batch = tokio::select! {
                _ = stop.cancelled() => break,
                batch = ticks.next_batch() => match batch {
                    Some(batch) => batch,
                    None => break,
                },
            };
            let started = std::time::Instant::now();
            let report = self.trader.process_ticks(&batch).await;
            if !report.intents.is_empty() {
                // From the ticks' arrival here to the order's answer from the broker.
                metrics::histogram!("osp_tick_to_order_seconds")
                    .record(started.elapsed().as_secs_f64());
            }
            log_levels(&report);
            if !report.entries.is_empty() {
                self.announce.tell(StateChange::Activity);
            }
            apply_intents(&self.trades, &self.announce, &report.intents).await;
        }
    }
}

impl TradingWorker {
    fn announce_activity(&self) {
        self.announce.tell(StateChange::Activity);
    }

    async fn intents_changed(&self, intents: &[OrderIntent]) {
        apply_intents(&self.trades, &self.announce, intents).await;
    }

    /// Open orders caught up with the broker's book (updates missed during a reconnect or a lag).
    async fn sync_open(&self) {
        match self.executor.sync_open().await {
            Ok(changed) => self.intents_changed(&changed).await,
            Err(e) => {
                tracing::warn!(error = %e, "open orders could not be read from the broker; trying again in a minute")
            }
        }
    }

    async fn resolve_answers(&self) {
        match self.executor.reconcile_pending().await {
            Ok(intents) => {
                let settled: Vec<OrderIntent> = intents
                    .into_iter()
                    .filter(|i| i.state != IntentState::Pending)
                    .collect();
                self.intents_changed(&settled).await
            }
            Err(e) => {
                tracing::warn!(error = %e, "an order's lost answer could not be looked up yet; trying again in a second")
            }
        }
    }

    async fn housekeeping(&self) {
        // An announcement lost on the way (Redis restarting) is caught up here.
        if self.changes.is_some()
            && let Err(e) = self.risk.reload().await
        {
            tracing::warn!(error = %e, "the risk settings could not be read again");
        }
        log_levels(&self.trader.rearm_due().await);
        match self.executor.reconcile_pending().await {
            Ok(intents) => self.intents_changed(&intents).await,
            Err(e) => {
                tracing::warn!(error = %e, "pending orders could not be reconciled; trying again in a minute")
            }
        }
        self.sync_open().await;
        log_trades(&self.trades.housekeeping().await);
    }

    /// Each run starts from what is stored — levels, open trades, limits and the kill switch —
    /// since a run may be taking over from another process that changed them.
    async fn reload(&self) -> Result<(), String> {
        self.trader
            .load()
            .await
            .map_err(|e| format!("the levels could not be loaded: {e}"))?;
        let report = self
            .trades
            .load()
            .await
            .map_err(|e| format!("the trades could not be loaded: {e}"))?;
        log_trades(&report);
        self.risk
            .reload()
            .await
            .map_err(|e| format!("the risk settings could not be loaded: {e}"))
    }

    /// A web process changed something (`None`: announcements were missed, so all of it).
    async fn on_change(&self, change: Option<StateChange>) {
        let all = change.is_none();
        if (all || change == Some(StateChange::Levels))
            && let Err(e) = self.trader.load().await
        {
            tracing::error!(error = %e, "the levels could not be read again");
        }
        if (all || change == Some(StateChange::Risk))
            && let Err(e) = self.risk.reload().await
        {
            tracing::error!(error = %e, "the risk settings could not be read again");
        }
        if all || change == Some(StateChange::Orders) {
            // An exit recorded elsewhere marked its trade: read the trades before sending.
            match self.trades.load().await {
                Ok(report) => log_trades(&report),
                Err(e) => tracing::error!(error = %e, "the trades could not be read again"),
            }
            match self.executor.reconcile_pending().await {
                Ok(intents) => self.intents_changed(&intents).await,
                Err(e) => {
                    tracing::warn!(error = %e, "orders recorded elsewhere could not be sent yet; trying again in a minute")
                }
            }
        }
    }

    /// Runs until `shutdown`; an error means it could not start (the manager tries again).
    pub async fn run_until_stopped(mut self, shutdown: CancellationToken) -> Result<(), String> {
        // Subscribed first, so no tick arriving while the rest loads is missed.
        let ticks = self.bus.subscribe(Interest::All);
        let level_ticks = self.bus.subscribe(Interest::All);
        if self.reload {
            self.reload().await?;
        }
        // The level monitor runs beside this loop, and stops with it however it ends.
        let stop_entries = shutdown.child_token();
        let _stop_entries_on_drop = stop_entries.clone().drop_guard();
        let mut entries = tokio::spawn(
            Entries {
                trader: self.trader.clone(),
                trades: self.trades.clone(),
                announce: self.announce.clone(),
            }
            .run(level_ticks, stop_entries.clone()),
        );
        let mut housekeeping = tokio::time::interval(HOUSEKEEPING_EVERY);
        housekeeping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut answers = tokio::time::interval(ANSWERS_EVERY);
        answers.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                ended = &mut entries => match ended {
                    // The bus closed: this loop ends with it.
                    Ok(()) => break,
                    Err(e) => return Err(format!("the level monitor stopped: {e}")),
                },
                batch = ticks.next_batch() => match batch {
                    Some(batch) => {
                        let trades = self.trades.process_ticks(&batch).await;
                        if !trades.notes.is_empty() {
                            self.announce_activity();
                        }
                        log_trades(&trades);
                    }
                    None => break,
                },
                update = self.order_events.recv() => match update {
                    Ok(order) => match self.executor.on_order_update(&order).await {
                        Ok(Some(intent)) => self.intents_changed(&[intent]).await,
                        Ok(None) => {}
                        Err(e) => tracing::error!(error = %e, order_id = %order.order_id, "order update not recorded"),
                    },
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "order updates arrived faster than they were recorded; reading the open orders from the broker");
                        self.sync_open().await;
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                _ = housekeeping.tick() => self.housekeeping().await,
                // A lost answer is resolved here, by tag, within a second or two: adopted when
                // the broker's book has the order, refused once it has had time to show it.
                _ = answers.tick(), if self.executor.awaiting_answers() => self.resolve_answers().await,
                change = next_change(&mut self.changes) => self.on_change(change).await,
            }
        }
        stop_entries.cancel();
        if !entries.is_finished() {
            let _ = entries.await;
        }
        tracing::debug!("trading worker stopped");
        Ok(())
    }
}
