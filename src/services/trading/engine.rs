//! `TradingEngine`: the trading loop in one place. Whatever drives it — the server's trading
//! worker, a replay, a test — hands it what happened and logs what it reports back:
//!
//! - `on_ticks`: a tick batch for the trade monitor (trailing stops move, exits fall due);
//! - `on_entry_ticks`: the same batch for the level monitor (crossings trigger, their entry
//!   orders go out). A separate lane, so a driver that runs it on a task of its own never holds
//!   an exit back behind an entry whose placement hangs;
//! - `on_order_update`: the broker's news of an order (`on_updates_missed` when some were lost);
//! - `on_timer`: `Timer::Answers` while a placement's answer is outstanding (`awaiting_answers`),
//!   `Timer::Housekeeping` once a minute — re-arms, reconciliation, catch-up, square-off;
//! - `on_change`: another process changed levels, limits or orders (`None`: all of them).
//!
//! Every intent the executor changes is applied to the trades here (fills open and close them)
//! and announced; the engine holds no rule of its own — the level trader, the trade monitor, the
//! executor (and its risk gate) and the risk service do — and no runtime: the driver owns the
//! timers and the tasks.

use std::sync::Arc;

use crate::model::{
    BrokerOrder, IntentState, LevelLogEntry, OrderIntent, OrderStatus, StateChange, Tick,
};
use crate::services::announcer::Announcer;

use super::execution::executor::OrderExecutor;
use super::portfolio::trades::{TradeReport, TradeService};
use super::risk::service::RiskService;
use super::strategy::level_trader::{LevelTrader, StepReport};

/// The timers a driver runs for the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// About every second while `awaiting_answers`: lost answers are looked up by tag.
    Answers,
    /// About once a minute: re-arms, reconciliation, catch-up with the broker's book, square-off.
    Housekeeping,
}

/// What one step did, for the driver's log and metrics.
#[derive(Debug, Default)]
pub struct EngineReport {
    /// Level triggers, re-arms and refusals.
    pub level_events: Vec<LevelLogEntry>,
    /// Order intents the step changed (placed, filled, refused…), already applied to the trades.
    pub intents: Vec<OrderIntent>,
    /// Trades opened, moved, exiting or closed.
    pub trade_notes: Vec<String>,
    /// What went wrong and needs a look.
    pub errors: Vec<String>,
    /// What could not be done now and is tried again by a later step.
    pub retries: Vec<String>,
}

impl EngineReport {
    fn levels(&mut self, step: StepReport) {
        self.level_events.extend(step.entries);
        self.errors.extend(step.errors);
    }

    fn trades(&mut self, step: TradeReport) {
        self.trade_notes.extend(step.notes);
        self.errors.extend(step.errors);
    }
}

pub struct TradingEngineParts {
    pub trader: Arc<LevelTrader>,
    pub trades: Arc<TradeService>,
    pub risk: Arc<RiskService>,
    pub executor: Arc<OrderExecutor>,
    /// Told of each trigger, fill or closed trade (web processes apart push it at once).
    pub announce: Announcer,
    /// The web side runs in other processes: the limits are read again every housekeeping,
    /// in case an announcement was lost.
    pub web_apart: bool,
}

pub struct TradingEngine {
    trader: Arc<LevelTrader>,
    trades: Arc<TradeService>,
    risk: Arc<RiskService>,
    executor: Arc<OrderExecutor>,
    announce: Announcer,
    web_apart: bool,
}

impl TradingEngine {
    pub fn new(parts: TradingEngineParts) -> Self {
        Self {
            trader: parts.trader,
            trades: parts.trades,
            risk: parts.risk,
            executor: parts.executor,
            announce: parts.announce,
            web_apart: parts.web_apart,
        }
    }

    /// Whether a placement's answer is outstanding: the driver runs `Timer::Answers` meanwhile.
    pub fn awaiting_answers(&self) -> bool {
        self.executor.awaiting_answers()
    }

    /// What the executor changed reaches the trades (fills open and close them).
    async fn apply(&self, report: &mut EngineReport, intents: Vec<OrderIntent>) {
        if !intents.is_empty() {
            self.announce.tell(StateChange::Activity);
        }
        for intent in &intents {
            report.trades(self.trades.on_intent(intent).await);
        }
        // An exit of units held outside the app ended: the mismatch it was sent for is found
        // gone (or smaller) at once, not at the next housekeeping.
        if intents
            .iter()
            .any(|i| i.outside_exit && i.state.is_final() && i.filled_quantity > 0)
        {
            self.check_mismatches(report).await;
        }
        report.intents.extend(intents);
    }

    /// Everything read again from the store — levels, open trades, limits and the kill switch
    /// — before a run that may be taking over from another process that changed them.
    pub async fn reload(&self) -> Result<EngineReport, String> {
        self.trader
            .load()
            .await
            .map_err(|e| format!("the levels could not be loaded: {e}"))?;
        let mut report = EngineReport::default();
        report.trades(
            self.trades
                .load()
                .await
                .map_err(|e| format!("the trades could not be loaded: {e}"))?,
        );
        self.risk
            .reload()
            .await
            .map_err(|e| format!("the risk settings could not be loaded: {e}"))?;
        Ok(report)
    }

    /// The exit lane: trailing stops move and the exits that fall due are sent.
    pub async fn on_ticks(&self, ticks: &[Tick]) -> EngineReport {
        let mut report = EngineReport::default();
        report.trades(self.trades.process_ticks(ticks).await);
        if !report.trade_notes.is_empty() {
            self.announce.tell(StateChange::Activity);
        }
        report
    }

    /// The entry lane: crossings trigger their levels and the entry orders go out.
    pub async fn on_entry_ticks(&self, ticks: &[Tick]) -> EngineReport {
        let mut report = EngineReport::default();
        let mut step = self.trader.process_ticks(ticks).await;
        let intents = std::mem::take(&mut step.intents);
        if !step.entries.is_empty() {
            self.announce.tell(StateChange::Activity);
        }
        report.levels(step);
        self.apply(&mut report, intents).await;
        report
    }

    /// The broker's news of one order.
    pub async fn on_order_update(&self, order: &BrokerOrder) -> EngineReport {
        let mut report = EngineReport::default();
        match self.executor.on_order_update(order).await {
            Ok(Some(intent)) => self.apply(&mut report, vec![intent]).await,
            // An order of the account's that carries none of our tags filled: a GTT of ours
            // that fired (its order has no tag; the book is read for the trigger), or one made
            // outside the app — the trades are held against the broker's positions now, not at
            // the next housekeeping.
            Ok(None) if order.status == OrderStatus::Complete => {
                match self.executor.sync_gtts().await {
                    Ok(changed) => self.apply(&mut report, changed).await,
                    Err(e) => report.retries.push(format!(
                        "the GTTs could not be read from the broker; trying again in a minute: \
                         {e}"
                    )),
                }
                report.trades(self.trades.reconcile_positions().await);
                self.check_mismatches(&mut report).await;
            }
            Ok(None) => {}
            Err(e) => report.errors.push(format!(
                "the update of order {} was not recorded: {e}",
                order.order_id
            )),
        }
        report
    }

    /// Order updates were lost on the way (a ticker reconnect, a reader that fell behind): the
    /// open orders are caught up with the broker's book, and the trades held against its
    /// positions (an outside sale meanwhile would otherwise wait for the next housekeeping).
    pub async fn on_updates_missed(&self) -> EngineReport {
        let mut report = EngineReport::default();
        self.sync_open(&mut report).await;
        report.trades(self.trades.reconcile_positions().await);
        self.check_mismatches(&mut report).await;
        report
    }

    /// What the broker holds that the trades (just reconciled) do not explain is found again:
    /// a new mismatch holds entries on its instrument back until a trader acknowledges it.
    async fn check_mismatches(&self, report: &mut EngineReport) {
        match self.risk.check_mismatches().await {
            Ok(raised) => {
                for m in raised {
                    report.errors.push(format!(
                        "{}; new entries on {} wait until it is acknowledged on the Account page",
                        m.describe(),
                        m.tradingsymbol
                    ));
                }
            }
            Err(e) => report.retries.push(format!(
                "the broker's positions could not be compared with the trades; trying again in \
                 a minute: {e}"
            )),
        }
    }

    async fn sync_open(&self, report: &mut EngineReport) {
        match self.executor.sync_open().await {
            Ok(changed) => self.apply(report, changed).await,
            Err(e) => report.retries.push(format!(
                "open orders could not be read from the broker; trying again in a minute: {e}"
            )),
        }
    }

    async fn reconcile(&self, report: &mut EngineReport, keep_pending: bool, when: &str) {
        match self.executor.reconcile_pending().await {
            Ok(intents) => {
                let intents = intents
                    .into_iter()
                    .filter(|i| keep_pending || i.state != IntentState::Pending)
                    .collect();
                self.apply(report, intents).await;
                if let Some(why) = self.executor.lookups_failed() {
                    report.retries.push(format!(
                        "some pending orders could not be looked up at the broker; trying \
                         again in a second: {why}"
                    ));
                }
            }
            Err(e) => report.retries.push(format!("{when}: {e}")),
        }
    }

    pub async fn on_timer(&self, timer: Timer) -> EngineReport {
        let mut report = EngineReport::default();
        match timer {
            // A lost answer is resolved here, by tag: adopted when the broker's book has the
            // order, refused once the book has had time to show it.
            Timer::Answers => {
                self.reconcile(
                    &mut report,
                    false,
                    "an order's lost answer could not be looked up yet; trying again in a second",
                )
                .await
            }
            Timer::Housekeeping => {
                // An announcement lost on the way (Redis restarting) is caught up here.
                if self.web_apart
                    && let Err(e) = self.risk.reload().await
                {
                    report
                        .retries
                        .push(format!("the risk settings could not be read again: {e}"));
                }
                report.levels(self.trader.rearm_due().await);
                self.reconcile(
                    &mut report,
                    true,
                    "pending orders could not be reconciled; trying again in a minute",
                )
                .await;
                self.sync_open(&mut report).await;
                report.trades(self.trades.housekeeping().await);
                self.check_mismatches(&mut report).await;
            }
        }
        report
    }

    /// Another process changed something (`None`: announcements were missed, so all of it).
    pub async fn on_change(&self, change: Option<StateChange>) -> EngineReport {
        let mut report = EngineReport::default();
        let all = change.is_none();
        if (all || change == Some(StateChange::Levels))
            && let Err(e) = self.trader.load().await
        {
            report
                .errors
                .push(format!("the levels could not be read again: {e}"));
        }
        if (all || change == Some(StateChange::Risk))
            && let Err(e) = self.risk.reload().await
        {
            report
                .errors
                .push(format!("the risk settings could not be read again: {e}"));
        }
        if all || change == Some(StateChange::Orders) {
            // An exit recorded elsewhere marked its trade: read the trades before sending.
            match self.trades.load().await {
                Ok(step) => report.trades(step),
                Err(e) => report
                    .errors
                    .push(format!("the trades could not be read again: {e}")),
            }
            self.reconcile(
                &mut report,
                true,
                "orders recorded elsewhere could not be sent yet; trying again in a minute",
            )
            .await;
        }
        report
    }
}
