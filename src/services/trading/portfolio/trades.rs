//! `TradeService`: the trade monitor. A fill of an entry order opens (or adds to) a trade with
//! its entry price; every tick of an open trade's instrument moves its trailing stop and may
//! call an exit (target, stop-loss, trailing stop); intraday trades are squared off at the
//! configured minute; the trader may exit one by hand. An exit is a market order through the
//! same `OrderExecutor`, recorded together with the trade's move to `exiting` (one
//! transaction, compare-and-set), so it is sent exactly once even across a crash; its fill
//! closes the trade with its realised profit.
//!
//! The worker calls `on_intent` with every order intent the executor changed, `process_ticks`
//! with every tick batch and `housekeeping` once a minute. No IO of its own.
//!
//! Over 500 lines: the trade monitor's step, its exits and their recording, read together (the
//! rules are in `trade_rules.rs`).

use crate::services::service_error::ServiceError;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use crate::model::{
    ExitReason, FeedMode, InstrumentToken, IntentState, OrderIntent, Price, Tick, Trade, TradeId,
    TradeState,
};
use crate::ports::{Clock, LevelStore, MarketData, StoreError, TradeStore};
use crate::services::instruments::InstrumentCatalog;
use crate::services::market_calendar::ist_day_number;
use crate::services::prices::FeedSubscriptions;

mod account;
mod adopt;
mod mismatches;
mod outside_exit;
mod protective;
mod reconciliation;
mod statement;

use super::trade_rules::{
    add_fills, auto_exit_allowed, closable_units, closed_outside, exit_order, exiting,
    on_exit_update, on_price, open_trade, signed_units, square_off_due, unrealised,
};
use super::{Counted, Portfolio, day_totals, open_and_recent, open_prices};
use crate::services::trading::execution::executor::OrderExecutor;
pub use account::{AccountPosition, AccountView, account_positions};
pub use adopt::{AdoptionDraft, adopted_trade};
pub use mismatches::mismatches_now;
pub use outside_exit::outside_exit_order;
pub use statement::{STATEMENT_TTL_MS, StatementView};

/// The feed owner for the open trades' instruments.
pub const TRADES_FEED_OWNER: &str = "trades";
/// How long the monitor waits before trying again an exit the broker refused.
pub const EXIT_RETRY_MS: i64 = 30_000;
/// How far back start-up and the minutely catch-up look for fills a crash left unapplied.
pub const CATCH_UP_WINDOW_MS: i64 = 24 * 3_600_000;
pub use super::MAX_TRADES;

/// What a step did, for the worker's log.
#[derive(Debug, Default)]
pub struct TradeReport {
    pub notes: Vec<String>,
    pub errors: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TradeError {
    #[error("there is no trade {0}")]
    NotFound(i64),
    #[error("trade {id} is {state}, not open: there is nothing to exit")]
    NotOpen { id: i64, state: &'static str },
    /// The monitor is waiting before trying a refused exit again (or has given up on it): not
    /// an error to report, the trade says why.
    #[error("trade {0}'s exit is waiting after a refusal")]
    Waiting(i64),
    /// The broker holds less than the exit would close (closed outside the app): not sent.
    #[error("{0}")]
    NotHeld(String),
    /// The trade's stop order at the broker is not cancelled yet: the exit waits for it.
    #[error("{0}")]
    Busy(String),
    /// A form with problems, one per field (an adoption); nothing was stored.
    #[error("{}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<crate::model::FieldProblem>),
    #[error("{0}")]
    Failed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How the outside is told of it.
impl From<TradeError> for ServiceError {
    fn from(e: TradeError) -> Self {
        match e {
            TradeError::NotFound(_) => {
                ServiceError::NotFound("that trade (reload the page)".to_owned())
            }
            refused @ (TradeError::NotOpen { .. }
            | TradeError::Waiting(_)
            | TradeError::NotHeld(_)
            | TradeError::Busy(_)) => ServiceError::Refused(refused.to_string()),
            TradeError::Invalid(problems) => ServiceError::Invalid(problems),
            failed @ TradeError::Failed(_) => ServiceError::fault(failed),
            TradeError::Store(e) => ServiceError::Store(e),
        }
    }
}

/// A trade with its live numbers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeView {
    pub trade: Trade,
    pub ltp: Option<Price>,
    /// Profit of what is still held, at the last price (zero once closed).
    pub unrealised: Option<Price>,
    pub trailing_stop: Option<Price>,
}

/// The trade book: the newest trades and the day's totals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeBook {
    pub trades: Vec<TradeView>,
    /// Realised profit of the trades closed today (IST) and of partial exits of open ones.
    pub realised_today: Price,
    /// Unrealised profit of everything still held.
    pub unrealised: Price,
    pub open_positions: usize,
}

pub struct TradeService {
    store: Arc<dyn TradeStore>,
    levels: Arc<dyn LevelStore>,
    executor: Arc<OrderExecutor>,
    catalog: Arc<InstrumentCatalog>,
    market: Arc<dyn MarketData>,
    subscriptions: Arc<FeedSubscriptions>,
    clock: Arc<dyn Clock>,
    square_off_minute: u16,
    stop_fill_grace_ms: i64,
    /// Open and exiting trades, as last stored.
    active: Mutex<HashMap<TradeId, Trade>>,
    /// What the risk gate reads: every trade it stores goes here too.
    portfolio: Arc<Portfolio>,
    /// Trades whose exit the broker refused: not tried again before this time.
    retry_after: Mutex<HashMap<TradeId, i64>>,
    /// Trades whose stop order the broker refused or dropped: not placed again before this time.
    protect_after: Mutex<HashMap<TradeId, i64>>,
    /// Trades whose stop has been due (the price past it) since then, while their stop order
    /// at the broker stands: the app steps in only after `stop_fill_grace_ms`.
    stop_due_since: Mutex<HashMap<TradeId, i64>>,
    /// Each standing stop order as last known, by trade: a tick that changes nothing costs no IO.
    standing: Mutex<HashMap<TradeId, crate::model::OrderRequest>>,
    /// When each standing order was modified (by intent id): the modification budget.
    moves: Mutex<HashMap<i64, Vec<i64>>>,
    /// Standing orders this monitor is cancelling itself (before an exit of its own).
    withdrawing: Mutex<HashSet<i64>>,
    /// A reconciliation with the broker's positions is due at the next tick.
    reconcile_due: std::sync::atomic::AtomicBool,
    /// Trades an exit is being decided and recorded for right now.
    exiting: Mutex<HashSet<TradeId>>,
    /// Positions whose outside units an Exit is being sent for right now (two presses at once
    /// send one order).
    exiting_outside: Mutex<HashSet<crate::model::PositionKey>>,
    /// Exits by hand waiting for Kite to confirm the cancel of the trade's stop order.
    exits_waiting: Mutex<HashMap<TradeId, ExitReason>>,
    /// Told of a trade this process made outside the engine (an adoption), for workers apart.
    changes: crate::services::announcer::Announcer,
    /// The broker statement as last read (the Account page), and the fills seen since start.
    statement_cache: Mutex<Option<StatementView>>,
    fills_seen: std::sync::atomic::AtomicU64,
}

/// Marks a trade as being exited for as long as it lives.
struct Exiting<'a> {
    set: &'a Mutex<HashSet<TradeId>>,
    id: TradeId,
}

impl<'a> Exiting<'a> {
    fn start(set: &'a Mutex<HashSet<TradeId>>, id: TradeId) -> Self {
        lock(set).insert(id);
        Exiting { set, id }
    }
}

impl Drop for Exiting<'_> {
    fn drop(&mut self) {
        lock(self.set).remove(&self.id);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub struct TradeServiceParts {
    pub store: Arc<dyn TradeStore>,
    pub levels: Arc<dyn LevelStore>,
    pub executor: Arc<OrderExecutor>,
    pub catalog: Arc<InstrumentCatalog>,
    pub market: Arc<dyn MarketData>,
    pub subscriptions: Arc<FeedSubscriptions>,
    pub clock: Arc<dyn Clock>,
    /// Minutes after IST midnight at which intraday trades are squared off.
    pub square_off_minute: u16,
    /// How long a reached stop waits for the broker's stop order to fill before the app takes
    /// it back and exits at market (`PROTECTIVE_GRACE_MS` unless configured).
    pub stop_fill_grace_ms: i64,
    /// Shared with the risk gate, which reads it at every entry; loaded here.
    pub portfolio: Arc<Portfolio>,
}

impl TradeService {
    pub fn new(parts: TradeServiceParts) -> Self {
        Self {
            store: parts.store,
            levels: parts.levels,
            executor: parts.executor,
            catalog: parts.catalog,
            market: parts.market,
            subscriptions: parts.subscriptions,
            clock: parts.clock,
            square_off_minute: parts.square_off_minute,
            stop_fill_grace_ms: parts.stop_fill_grace_ms,
            active: Mutex::new(HashMap::new()),
            portfolio: parts.portfolio,
            retry_after: Mutex::new(HashMap::new()),
            protect_after: Mutex::new(HashMap::new()),
            stop_due_since: Mutex::new(HashMap::new()),
            standing: Mutex::new(HashMap::new()),
            moves: Mutex::new(HashMap::new()),
            withdrawing: Mutex::new(HashSet::new()),
            reconcile_due: std::sync::atomic::AtomicBool::new(false),
            exiting: Mutex::new(HashSet::new()),
            exiting_outside: Mutex::new(HashSet::new()),
            statement_cache: Mutex::new(None),
            fills_seen: std::sync::atomic::AtomicU64::new(0),
            exits_waiting: Mutex::new(HashMap::new()),
            changes: crate::services::announcer::Announcer::default(),
        }
    }

    /// The workers running apart are told of a trade adopted here, so they watch it.
    pub fn with_changes(mut self, notifier: Arc<dyn crate::ports::ChangeNotifier>) -> Self {
        self.changes = crate::services::announcer::Announcer::to(notifier);
        self
    }

    fn tick_size(&self, token: InstrumentToken) -> Price {
        self.catalog
            .get(token)
            .map(|i| i.tick_size)
            .unwrap_or(Price::ZERO)
    }

    /// Start-up: watches the stored open trades and gives the risk gate today's, then applies
    /// what a crash left unapplied.
    pub async fn load(&self) -> Result<TradeReport, String> {
        self.portfolio
            .load(self.store.as_ref(), self.clock.now_ms())
            .await?;
        let active = self.store.active().await?;
        {
            let mut map = lock(&self.active);
            map.clear();
            map.extend(active.into_iter().map(|t| (t.id, t)));
        }
        self.follow()?;
        Ok(self.catch_up().await)
    }

    /// The feed follows the instruments of every open trade.
    fn follow(&self) -> Result<(), String> {
        let mut tokens: Vec<InstrumentToken> =
            lock(&self.active).values().map(|t| t.token).collect();
        tokens.sort_unstable();
        tokens.dedup();
        self.subscriptions
            .set(TRADES_FEED_OWNER, tokens, FeedMode::Quote)
            .map_err(|e| e.to_string())
    }

    /// Keeps the in-memory copy as stored: closed trades leave it.
    fn remember(&self, report: &mut TradeReport, trade: &Trade) {
        self.portfolio.put(trade);
        if trade.state == TradeState::Closed {
            // Nothing of a closed trade stays behind in the per-trade timers: a long day would
            // keep one entry per trade ever protected again or retried. (Each lock alone.)
            lock(&self.protect_after).remove(&trade.id);
            lock(&self.retry_after).remove(&trade.id);
            lock(&self.stop_due_since).remove(&trade.id);
            lock(&self.standing).remove(&trade.id);
        }
        let changed_set = {
            let mut map = lock(&self.active);
            if trade.state == TradeState::Closed {
                map.remove(&trade.id).is_some()
            } else {
                map.insert(trade.id, trade.clone()).is_none()
            }
        };
        if changed_set && let Err(e) = self.follow() {
            report.errors.push(format!(
                "the live feed cannot follow {} for its trade: {e}",
                trade.tradingsymbol
            ));
        }
    }

    /// What a changed order intent means for the trades (the worker passes every one).
    pub async fn on_intent(&self, intent: &OrderIntent) -> TradeReport {
        let mut report = TradeReport::default();
        self.apply_intent(&mut report, intent).await;
        report
    }

    async fn apply_intent(&self, report: &mut TradeReport, intent: &OrderIntent) {
        if intent.filled_quantity > 0 {
            self.fills_seen
                .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        }
        let result = match intent.closes {
            Some(id) => self.apply_exit(report, id, intent).await,
            // Units held outside the app: no trade of the app's changes (the reconciliation
            // that follows its fill finds the position as it is).
            None if intent.outside_exit => Ok(()),
            None => self.apply_entry(report, intent).await,
        };
        if let Err(e) = result {
            report.errors.push(e);
        }
    }

    async fn apply_entry(
        &self,
        report: &mut TradeReport,
        intent: &OrderIntent,
    ) -> Result<(), String> {
        if intent.filled_quantity == 0 {
            return Ok(());
        }
        let now = self.clock.now_ms();
        for _ in 0..5 {
            match self.store.by_entry(intent.id).await? {
                None => {
                    let r = &intent.request;
                    let Some(instrument) = self.catalog.find(r.exchange, &r.tradingsymbol) else {
                        return Err(format!(
                            "order #{} filled on {}:{}, which the instrument list does not hold; \
                             its trade opens once the list is loaded",
                            intent.id,
                            r.exchange.code(),
                            r.tradingsymbol
                        ));
                    };
                    let level = match intent.level {
                        // Deleted since its order went out, it still gives the trade its exits.
                        Some(id) => self.levels.definition(id).await?,
                        None => None,
                    };
                    let Some(trade) = open_trade(
                        intent,
                        instrument.token,
                        level.as_ref(),
                        instrument.tick_size,
                        now,
                    ) else {
                        return Ok(());
                    };
                    if let Some(stored) = self.store.insert(&trade).await? {
                        report.notes.push(format!(
                            "trade {} opened: {:?} {} {} at {}",
                            stored.id.0,
                            stored.side,
                            stored.quantity,
                            stored.tradingsymbol,
                            stored.entry_price
                        ));
                        self.remember(report, &stored);
                        self.protect(report, &stored).await;
                        return Ok(());
                    }
                }
                Some(trade) => {
                    let Some(next) = add_fills(&trade, intent, self.tick_size(trade.token), now)
                    else {
                        return Ok(());
                    };
                    if let Some(stored) = self.store.update(&next).await? {
                        report.notes.push(format!(
                            "trade {} now holds {} at {}",
                            stored.id.0, stored.quantity, stored.entry_price
                        ));
                        self.remember(report, &stored);
                        self.protect(report, &stored).await;
                        return Ok(());
                    }
                }
            }
        }
        Err(format!(
            "the trade of order #{} kept changing while its fill was recorded; it is caught up next minute",
            intent.id
        ))
    }

    async fn apply_exit(
        &self,
        report: &mut TradeReport,
        id: TradeId,
        intent: &OrderIntent,
    ) -> Result<(), String> {
        for _ in 0..5 {
            let Some(trade) = self.store.trade(id).await? else {
                return Err(format!(
                    "exit order #{} names trade {}, which does not exist",
                    intent.id, id.0
                ));
            };
            if trade.protective == Some(intent.id) {
                match self.apply_protective(report, &trade, intent).await {
                    Ok(_) => return Ok(()),
                    Err(_) => continue,
                }
            }
            let Some(next) = on_exit_update(&trade, intent, self.clock.now_ms()) else {
                return Ok(());
            };
            if let Some(stored) = self.store.update(&next).await? {
                match stored.state {
                    TradeState::Closed => report.notes.push(format!(
                        "trade {} closed ({}) at {}: {}",
                        stored.id.0,
                        stored.exit_reason.map(ExitReason::label).unwrap_or("exit"),
                        stored.exit_price.unwrap_or_default(),
                        stored.realised
                    )),
                    _ => {
                        lock(&self.retry_after).insert(id, self.clock.now_ms() + EXIT_RETRY_MS);
                        report
                            .notes
                            .push(stored.problem.clone().unwrap_or_default());
                    }
                }
                self.remember(report, &stored);
                return Ok(());
            }
        }
        Err(format!(
            "trade {} kept changing while its exit was recorded",
            id.0
        ))
    }

    /// Order intents a crash left unapplied are applied now (start-up and once a minute).
    pub async fn catch_up(&self) -> TradeReport {
        let mut report = TradeReport::default();
        let since = self.clock.now_ms() - CATCH_UP_WINDOW_MS;
        match self.store.unapplied(since).await {
            Ok(intents) => {
                for intent in intents {
                    self.apply_intent(&mut report, &intent).await;
                }
            }
            Err(e) => report.errors.push(e.to_string()),
        }
        self.catch_up_protection(&mut report).await;
        report
    }

    /// The single tick step: trailing stops move, and the exits that fall due are sent.
    pub async fn process_ticks(&self, ticks: &[Tick]) -> TradeReport {
        if !self.reconcile_asked() {
            return self.tick_step(ticks).await;
        }
        let mut report = self.reconcile_positions().await;
        let step = self.tick_step(ticks).await;
        report.notes.extend(step.notes);
        report.errors.extend(step.errors);
        report
    }

    async fn tick_step(&self, ticks: &[Tick]) -> TradeReport {
        let mut report = TradeReport::default();
        if !lock(&self.exits_waiting).is_empty() {
            self.retry_waiting_exits(&mut report).await;
        }
        let mut moved = Vec::new();
        let mut touched = Vec::new();
        let mut due = Vec::new();
        let now = self.clock.now_ms();
        {
            let mut map = lock(&self.active);
            let mut due_since = lock(&self.stop_due_since);
            if map.is_empty() {
                return report;
            }
            for tick in ticks {
                // Looked up once per tick, and only for an instrument a trade holds.
                let mut tick_size = None;
                for trade in map.values_mut().filter(|t| t.token == tick.token) {
                    let size = *tick_size.get_or_insert_with(|| self.tick_size(tick.token));
                    if trade.protective.is_some() {
                        touched.push(trade.id);
                    }
                    let (next, exit) = on_price(trade, tick.last_price, size);
                    if next.best_price != trade.best_price {
                        *trade = next;
                        moved.push(trade.id);
                    }
                    let Some(reason) = exit else {
                        due_since.remove(&trade.id);
                        continue;
                    };
                    // The stop order standing at the broker exits it; the app steps in only
                    // when it has not filled within the grace (an SL whose limit the market
                    // ran past, a broker that did not trigger).
                    if trade.protective.is_some()
                        && matches!(reason, ExitReason::StopLoss | ExitReason::TrailingStop)
                    {
                        let since = *due_since.entry(trade.id).or_insert(now);
                        if now - since < self.stop_fill_grace_ms {
                            continue;
                        }
                    }
                    due.push((trade.id, reason));
                }
            }
        }
        for (id, reason) in &due {
            match self.exit_trade(&mut report, *id, *reason, false).await {
                Ok(_) | Err(TradeError::Waiting(_)) | Err(TradeError::Busy(_)) => {}
                Err(e) => report.errors.push(e.to_string()),
            }
        }
        // The new best prices are stored, so a restart keeps the trailing stop where it was.
        for id in moved
            .into_iter()
            .filter(|id| !due.iter().any(|(d, _)| d == id))
        {
            let Some(trade) = lock(&self.active).get(&id).cloned() else {
                continue;
            };
            self.store_best_price(&mut report, trade).await;
            touched.push(id);
        }
        // The trailing stop moved (now, or earlier while the budget held the broker's order
        // back): so does the stop order at the broker. No IO when it already stands there.
        touched.sort_unstable();
        touched.dedup();
        for id in touched
            .into_iter()
            .filter(|id| !due.iter().any(|(d, _)| d == id))
        {
            let stored = lock(&self.active).get(&id).cloned();
            if let Some(trade) = stored {
                self.protect(&mut report, &trade).await;
            }
        }
        report
    }

    /// What this app's open trades on `trade`'s instrument (and product, unless the venue keeps
    /// one position whatever the product) add up to at the broker, signed; `trade` included.
    /// Exiting trades are left out: their exits may have filled already.
    async fn expected_net(&self, trade: &Trade, any_product: bool) -> Result<i64, TradeError> {
        let open = self.store.active().await.map_err(TradeError::Store)?;
        Ok(expected_net_in(&open, trade, any_product))
    }

    /// The broker no longer holds `units` of `trade`: they were closed outside the app.
    /// Counted here at the broker's price (or the last price), nothing sent; with no price at
    /// all the trade stays as it is, saying why, and is asked about again after
    /// `EXIT_RETRY_MS`.
    async fn close_outside(
        &self,
        report: &mut TradeReport,
        trade: &Trade,
        units: u32,
        broker_price: Option<Price>,
    ) -> Result<Trade, TradeError> {
        let now = self.clock.now_ms();
        let last = self
            .market
            .latest(&[trade.token])
            .first()
            .map(|t| t.last_price);
        let Some(price) = broker_price.or(last) else {
            let problem = format!(
                "exit not sent: the broker holds no {} {} to close (this trade expected {}); \
                 it was closed outside the app, and with no price for it yet it stays open \
                 here until one comes",
                trade.tradingsymbol,
                if trade.is_long() { "long" } else { "short" },
                trade.quantity
            );
            lock(&self.retry_after).insert(trade.id, now + EXIT_RETRY_MS);
            self.note_problem(report, trade, &problem).await;
            return Err(TradeError::NotHeld(problem));
        };
        let closed = closed_outside(trade, units, price, broker_price.is_some(), now);
        match self.store.update(&closed).await {
            Ok(Some(stored)) => {
                report.notes.push(if stored.state == TradeState::Closed {
                    format!(
                        "trade {} closed outside the app at {}: {}",
                        stored.id.0, price, stored.realised
                    )
                } else {
                    format!(
                        "trade {}: {units} units closed outside the app at {}; it holds {}",
                        stored.id.0, price, stored.quantity
                    )
                });
                self.remember(report, &stored);
                Ok(stored)
            }
            Ok(None) => Err(TradeError::Failed(format!(
                "trade {} changed while it was being closed as closed outside the app; \
                 it is looked at again on the next exit",
                trade.id.0
            ))),
            Err(e) => Err(TradeError::Store(e)),
        }
    }

    /// Stores `problem` on the trade, for the trader (the trade stays as it is otherwise).
    async fn note_problem(&self, report: &mut TradeReport, trade: &Trade, problem: &str) {
        if trade.problem.as_deref() == Some(problem) {
            return;
        }
        let noted = Trade {
            problem: Some(problem.to_owned()),
            updated_ms: self.clock.now_ms(),
            ..trade.clone()
        };
        report.notes.push(problem.to_owned());
        self.store_best_price(report, noted).await;
    }

    async fn store_best_price(&self, report: &mut TradeReport, trade: Trade) {
        match self.store.update(&trade).await {
            Ok(Some(stored)) => self.remember(report, &stored),
            Ok(None) => match self.store.trade(trade.id).await {
                Ok(Some(fresh)) => self.remember(report, &fresh),
                Ok(None) => {}
                Err(e) => report.errors.push(e.to_string()),
            },
            Err(e) => report.errors.push(e.to_string()),
        }
    }

    /// Once a minute: intraday trades past their square-off are exited, and what a crash left
    /// unapplied is applied.
    pub async fn housekeeping(&self) -> TradeReport {
        let mut report = self.catch_up().await;
        self.retry_waiting_exits(&mut report).await;
        let now = self.clock.now_ms();
        let due: Vec<TradeId> = lock(&self.active)
            .values()
            .filter(|t| square_off_due(t, self.square_off_minute, now))
            .map(|t| t.id)
            .collect();
        for id in due {
            if let Err(e) = self
                .exit_trade(&mut report, id, ExitReason::SquareOff, false)
                .await
            {
                report.errors.push(e.to_string());
            }
        }
        let reconciled = self.reconcile_positions().await;
        report.notes.extend(reconciled.notes);
        report.errors.extend(reconciled.errors);
        self.protect_all(&mut report).await;
        report
    }

    /// Exits every open trade (the kill switch's square-off): how many exits were sent, and
    /// what could not be exited.
    pub async fn exit_all(&self, reason: ExitReason) -> (u32, Vec<String>) {
        let open: Vec<TradeId> = lock(&self.active)
            .values()
            .filter(|t| t.state == TradeState::Open)
            .map(|t| t.id)
            .collect();
        let mut sent = 0;
        let mut problems = Vec::new();
        for id in open {
            let mut report = TradeReport::default();
            match self.exit_trade(&mut report, id, reason, true).await {
                Ok(_) => sent += 1,
                Err(e) => problems.push(e.to_string()),
            }
            problems.extend(report.errors);
        }
        (sent, problems)
    }

    /// How many entries the per-trade timers and the standing orders' copies hold (the
    /// scenario tests check that a closed trade leaves none).
    #[cfg(test)]
    pub(crate) fn per_trade_entries(&self) -> usize {
        lock(&self.protect_after).len()
            + lock(&self.retry_after).len()
            + lock(&self.stop_due_since).len()
            + lock(&self.standing).len()
            + lock(&self.exits_waiting).len()
    }

    /// The trader's exit button: a market order for everything the trade holds.
    pub async fn exit(&self, id: TradeId) -> Result<Trade, TradeError> {
        let mut report = TradeReport::default();
        let trade = match self
            .exit_trade(&mut report, id, ExitReason::Manual, true)
            .await
        {
            Ok(trade) => trade,
            // Taken: it goes once the broker confirms the stop order's cancel. The trade says so.
            Err(TradeError::Busy(waits)) => {
                let trade = self
                    .store
                    .trade(id)
                    .await?
                    .ok_or(TradeError::NotFound(id.0))?;
                self.note_problem(&mut report, &trade, &waits).await;
                return Ok(lock(&self.active).get(&id).cloned().unwrap_or(trade));
            }
            Err(e) => return Err(e),
        };
        if let Some(e) = report.errors.first() {
            return Err(TradeError::Failed(e.clone()));
        }
        Ok(trade)
    }

    async fn exit_trade(
        &self,
        report: &mut TradeReport,
        id: TradeId,
        reason: ExitReason,
        by_hand: bool,
    ) -> Result<Trade, TradeError> {
        // No stop order is placed for the trade meanwhile (one placed after the old one was
        // taken back and before the exit is recorded would make two exits).
        let _exiting = Exiting::start(&self.exiting, id);
        let result = self.exit_now(report, id, reason, by_hand).await;
        if by_hand && let Err(TradeError::Busy(_)) = &result {
            // Kite has not confirmed the stop order's cancel yet: the exit goes by itself once
            // it does (looked at with every tick and housekeeping).
            lock(&self.exits_waiting).insert(id, reason);
        }
        result
    }

    /// Exits asked for by hand (or by the kill switch) that wait for the cancel of the trade's
    /// stop order at the broker: tried again now.
    async fn retry_waiting_exits(&self, report: &mut TradeReport) {
        let waiting: Vec<(TradeId, ExitReason)> = lock(&self.exits_waiting).drain().collect();
        for (id, reason) in waiting {
            match self.exit_trade(report, id, reason, true).await {
                Ok(_) | Err(TradeError::Busy(_)) | Err(TradeError::NotOpen { .. }) => {}
                Err(e) => report.errors.push(e.to_string()),
            }
        }
    }

    async fn exit_now(
        &self,
        report: &mut TradeReport,
        id: TradeId,
        reason: ExitReason,
        by_hand: bool,
    ) -> Result<Trade, TradeError> {
        let now = self.clock.now_ms();
        if !by_hand && lock(&self.retry_after).get(&id).is_some_and(|t| now < *t) {
            return Err(TradeError::Waiting(id.0));
        }
        let remembered = lock(&self.active).get(&id).cloned();
        let trade = match remembered {
            Some(t) => t,
            None => self
                .store
                .trade(id)
                .await
                .map_err(TradeError::Store)?
                .ok_or(TradeError::NotFound(id.0))?,
        };
        if trade.state != TradeState::Open {
            return Err(TradeError::NotOpen {
                id: id.0,
                state: trade.state.label(),
            });
        }
        if !by_hand && !auto_exit_allowed(&trade) {
            return Err(TradeError::Waiting(id.0));
        }
        // The stop order at the broker is taken back first: the app's exit and the broker's
        // stop never both execute.
        let trade = match trade.protective {
            Some(standing) => {
                let why = format!(
                    "taken back by the app: trade {} exits by an order of its own ({})",
                    trade.id.0,
                    reason.label()
                );
                match self.withdraw(report, &trade, standing, &why).await? {
                    protective::Withdrawn::Open(trade) => trade,
                    protective::Withdrawn::Filled(trade) => return Ok(trade),
                }
            }
            None => trade,
        };
        lock(&self.stop_due_since).remove(&id);
        let Some(mut request) = exit_order(&trade) else {
            return Err(TradeError::NotOpen {
                id: id.0,
                state: "empty",
            });
        };
        // Never more than the broker holds, asked just before sending: what was closed outside
        // the app is not closed twice into an opposite position.
        if let Some(held) = self.executor.holding(&request).await {
            let expected = self.expected_net(&trade, held.any_product).await?;
            let units = closable_units(&trade, request.quantity, expected, held.net);
            if units == 0 {
                let at = if trade.is_long() {
                    held.sold_average
                } else {
                    held.bought_average
                };
                return self.close_outside(report, &trade, trade.quantity, at).await;
            }
            request.quantity = units;
        }
        let mut order = self.executor.prepare(trade.level, request);
        order.closes = Some(trade.id);
        let next = exiting(&trade, reason, now);
        let stored = match self.store.begin_exit(&next, &mut order).await {
            Ok(Some(stored)) => stored,
            Ok(None) => {
                // Someone else moved it first (another exit, a fill): take what is stored.
                if let Ok(Some(fresh)) = self.store.trade(id).await {
                    self.remember(report, &fresh);
                }
                return Err(TradeError::Failed(format!(
                    "trade {} changed while its exit was being recorded; nothing was sent",
                    id.0
                )));
            }
            Err(e) => return Err(TradeError::Store(e)),
        };
        lock(&self.retry_after).remove(&id);
        self.remember(report, &stored);
        report.notes.push(format!(
            "trade {} exiting ({}): order #{} {:?} {}",
            id.0,
            reason.label(),
            order.id,
            order.request.side,
            order.request.quantity
        ));
        match self.executor.send(&order).await {
            Ok(sent) => {
                if sent.state != IntentState::Pending {
                    self.apply_intent(report, &sent).await;
                }
            }
            // Stays pending: reconciliation finds it by tag or sends it once.
            Err(e) => report.errors.push(format!("exit order #{}: {e}", order.id)),
        }
        Ok(lock(&self.active).get(&id).cloned().unwrap_or(stored))
    }

    /// The newest trades with their live numbers and the day's totals.
    pub async fn book(&self) -> Result<TradeBook, String> {
        let trades = open_and_recent(self.store.as_ref()).await?;
        let prices = open_prices(self.market.as_ref(), &trades);
        let today = ist_day_number(self.clock.now_ms());
        let (realised_today, total_unrealised, open_positions) =
            day_totals(trades.iter().map(Counted::of), &prices, today);
        let views = trades
            .into_iter()
            .map(|trade| {
                let ltp = prices.get(&trade.token).copied();
                TradeView {
                    unrealised: ltp.and_then(|p| unrealised(&trade, p)),
                    trailing_stop: trade.trailing_stop(self.tick_size(trade.token)),
                    trade,
                    ltp,
                }
            })
            .collect();
        Ok(TradeBook {
            trades: views,
            realised_today,
            unrealised: total_unrealised,
            open_positions,
        })
    }
}

/// `expected_net` over `active` (the stored active trades, read by the caller).
fn expected_net_in(active: &[Trade], trade: &Trade, any_product: bool) -> i64 {
    let others: i64 = active
        .iter()
        .filter(|t| {
            t.id != trade.id
                && t.state == TradeState::Open
                && t.exchange == trade.exchange
                && t.tradingsymbol == trade.tradingsymbol
                && (any_product || t.product == trade.product)
        })
        .map(signed_units)
        .sum();
    others + signed_units(trade)
}
