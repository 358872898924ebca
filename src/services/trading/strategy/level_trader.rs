//! `LevelTrader`: the level monitor at work. It keeps every enabled level in a `LevelMonitor`,
//! makes the feed follow their instruments, and for each batch of ticks (`process_ticks`, the
//! worker's single step) stores every crossing in the level's audit log, and for a confirmed
//! one: disarms the level and records its pending order intent in one transaction
//! (compare-and-set, so a trigger is acted on once even across a restart or a second process),
//! then sends the order through the `OrderExecutor` (exactly once by tag). Re-arm policies,
//! active windows and the kill switch (nothing triggers while it is on) apply here.
//!
//! No IO of its own: the store, executor, catalog and feed are ports and services.
//!
//! Over 500 lines: one step (`process_ticks`) and the trigger's transaction around it, read
//! together.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::model::{
    Direction, FeedMode, InstrumentToken, LastTrigger, Level, LevelId, LevelLogEntry, LevelLogKind,
    Price, Rearm, StoredLevel, Tick,
};
use crate::ports::{Clock, LevelStore, LevelsLive};
use crate::services::instruments::InstrumentCatalog;
use crate::services::market_calendar::{ist_day_number, ist_minute_of_day};
use crate::services::prices::FeedSubscriptions;

use super::level_monitor::{LevelEvent, LevelMonitor, LevelSpec, LevelState};
use super::level_orders::order_for;
use crate::services::trading::execution::broker_session::BrokerSession;
use crate::services::trading::execution::executor::OrderExecutor;
use crate::services::trading::risk::gate::RiskState;

/// The feed owner for the levels' instruments.
pub const LEVELS_FEED_OWNER: &str = "levels";

/// Where a level stands, for the UI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LevelPhase {
    Armed,
    /// Crossed; the trend rule has not confirmed it yet.
    Confirming,
    /// Fired; waits for its re-arm policy (or for ever, for `once`).
    Triggered,
    Disabled,
}

impl LevelPhase {
    pub fn label(self) -> &'static str {
        match self {
            LevelPhase::Armed => "armed",
            LevelPhase::Confirming => "confirming",
            LevelPhase::Triggered => "triggered",
            LevelPhase::Disabled => "disabled",
        }
    }
}

/// What one step did: the log entries it stored, the orders it sent (as they now stand), and
/// what went wrong (for the worker's log).
#[derive(Debug, Default)]
pub struct StepReport {
    pub entries: Vec<LevelLogEntry>,
    pub intents: Vec<crate::model::OrderIntent>,
    pub errors: Vec<String>,
}

/// The last price the level monitor worked through for an instrument, and when (this app's
/// clock): every level on the instrument has been checked against it, and any order it
/// triggered was recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LevelSeen {
    pub price: Price,
    pub at_ms: i64,
}

struct Watched {
    level: Level,
    last_trigger: Option<LastTrigger>,
}

#[derive(Default)]
struct Engine {
    monitor: LevelMonitor,
    levels: HashMap<LevelId, Watched>,
    /// Triggered levels that re-arm once the price has moved far enough away, per instrument.
    rearm_on_move: HashMap<InstrumentToken, Vec<LevelId>>,
    /// The last price worked through, per instrument.
    seen: HashMap<InstrumentToken, LevelSeen>,
}

impl Engine {
    fn unwatch(&mut self, id: LevelId) {
        self.monitor.remove(id);
        if let Some(w) = self.levels.remove(&id) {
            self.stop_waiting_for_move(w.level.token, id);
        }
    }

    fn stop_waiting_for_move(&mut self, token: InstrumentToken, id: LevelId) {
        if let Some(ids) = self.rearm_on_move.get_mut(&token) {
            ids.retain(|i| *i != id);
            if ids.is_empty() {
                self.rearm_on_move.remove(&token);
            }
        }
    }

    fn disarmed(&mut self, id: LevelId, trigger: LastTrigger) {
        let Some(w) = self.levels.get_mut(&id) else {
            return;
        };
        w.last_trigger = Some(trigger);
        if matches!(w.level.rearm, Rearm::AfterMove { .. }) {
            let token = w.level.token;
            let ids = self.rearm_on_move.entry(token).or_default();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }

    /// Levels of `token` waiting for a move that `price` completes; they are armed again here.
    fn rearmed_by_move(&mut self, token: InstrumentToken, price: Price) -> Vec<LevelId> {
        let Some(ids) = self.rearm_on_move.get(&token) else {
            return Vec::new();
        };
        let mut done = Vec::new();
        for id in ids {
            let Some(w) = self.levels.get(id) else {
                continue;
            };
            let Rearm::AfterMove { distance } = w.level.rearm else {
                continue;
            };
            let far = distance
                .from_price(w.level.price)
                .and_then(|d| Some(price.checked_sub(w.level.price)?.checked_abs()? >= d))
                .unwrap_or(false);
            if far {
                done.push(*id);
            }
        }
        for id in &done {
            self.monitor.rearm(*id);
            self.stop_waiting_for_move(token, *id);
        }
        done
    }
}

fn spec(level: &Level) -> LevelSpec {
    LevelSpec {
        id: level.id,
        token: level.token,
        price: level.price,
        trigger: level.trigger,
        confirmation: level.confirmation,
    }
}

fn entry(
    level: LevelId,
    kind: LevelLogKind,
    direction: Option<Direction>,
    price: Price,
    at_ms: i64,
    detail: String,
) -> LevelLogEntry {
    LevelLogEntry {
        id: 0,
        level,
        kind,
        direction,
        price,
        at_ms,
        detail,
    }
}

fn direction_word(direction: Direction) -> &'static str {
    match direction {
        Direction::Up => "upward",
        Direction::Down => "downward",
    }
}

pub struct LevelTrader {
    store: Arc<dyn LevelStore>,
    executor: Arc<OrderExecutor>,
    catalog: Arc<InstrumentCatalog>,
    subscriptions: Arc<FeedSubscriptions>,
    clock: Arc<dyn Clock>,
    /// While its kill switch is on, nothing triggers.
    risk: Arc<RiskState>,
    /// While the broker session has ended, nothing triggers either.
    session: Option<Arc<BrokerSession>>,
    /// A web process apart: the workers' trader's phases, since this one sees no ticks.
    live: Option<Arc<dyn LevelsLive>>,
    engine: Mutex<Engine>,
}

impl LevelTrader {
    pub fn new(
        store: Arc<dyn LevelStore>,
        executor: Arc<OrderExecutor>,
        catalog: Arc<InstrumentCatalog>,
        subscriptions: Arc<FeedSubscriptions>,
        clock: Arc<dyn Clock>,
        risk: Arc<RiskState>,
    ) -> Self {
        Self {
            store,
            executor,
            catalog,
            subscriptions,
            clock,
            risk,
            session: None,
            live: None,
            engine: Mutex::new(Engine::default()),
        }
    }

    /// In a web process apart from the workers: this trader runs no ticks, so a level's phase
    /// is what is stored (armed, triggered) and, while the workers confirm its crossing, what
    /// `live` says they do.
    pub fn with_live(mut self, live: Arc<dyn LevelsLive>) -> Self {
        self.live = Some(live);
        self
    }

    /// The levels whose crossing this trader is confirming now.
    pub fn confirming(&self) -> Vec<LevelId> {
        self.engine().monitor.confirming()
    }

    /// Levels that cross while `session` has ended stay armed (and say why in their log).
    pub fn with_session(mut self, session: Arc<BrokerSession>) -> Self {
        self.session = Some(session);
        self
    }

    fn engine(&self) -> MutexGuard<'_, Engine> {
        self.engine.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Start-up: watches every stored level in the state it was stored in (a triggered level
    /// stays disarmed), then applies the daily re-arms that fell due while the app was down.
    pub async fn load(&self) -> Result<usize, String> {
        let stored = self.store.levels().await?;
        let count = stored.len();
        {
            let mut engine = self.engine();
            // Loaded again (a worker taking over from another process): levels deleted since
            // are no longer watched.
            let kept: std::collections::HashSet<LevelId> =
                stored.iter().map(|s| s.level.id).collect();
            let gone: Vec<LevelId> = engine
                .levels
                .keys()
                .copied()
                .filter(|id| !kept.contains(id))
                .collect();
            for id in gone {
                engine.unwatch(id);
            }
            for s in &stored {
                Self::watch_locked(&mut engine, s);
            }
        }
        self.follow()?;
        let report = self.rearm_due().await;
        if let Some(e) = report.errors.first() {
            return Err(e.clone());
        }
        Ok(count)
    }

    fn watch_locked(engine: &mut Engine, stored: &StoredLevel) {
        let id = stored.level.id;
        engine.unwatch(id);
        if !stored.level.enabled {
            return;
        }
        engine.monitor.restore(spec(&stored.level), stored.armed);
        engine.levels.insert(
            id,
            Watched {
                level: stored.level.clone(),
                last_trigger: stored.last_trigger,
            },
        );
        if let Some(trigger) = stored.last_trigger.filter(|_| !stored.armed) {
            engine.disarmed(id, trigger);
        }
    }

    /// Watches `stored` as it now is (after a create, edit, enable or disable).
    pub fn watch(&self, stored: &StoredLevel) -> Result<(), String> {
        Self::watch_locked(&mut self.engine(), stored);
        self.follow()
    }

    pub fn forget(&self, id: LevelId) -> Result<(), String> {
        self.engine().unwatch(id);
        self.follow()
    }

    /// The feed follows exactly the instruments of the watched levels.
    fn follow(&self) -> Result<(), String> {
        let tokens: Vec<InstrumentToken> = {
            let engine = self.engine();
            let mut t: Vec<_> = engine.levels.values().map(|w| w.level.token).collect();
            t.sort_unstable();
            t.dedup();
            t
        };
        self.subscriptions
            .set(LEVELS_FEED_OWNER, tokens, FeedMode::Quote)
            .map_err(|e| e.to_string())
    }

    pub fn phase(&self, stored: &StoredLevel) -> LevelPhase {
        if !stored.level.enabled {
            return LevelPhase::Disabled;
        }
        if let Some(live) = &self.live {
            return if !stored.armed {
                LevelPhase::Triggered
            } else if live.confirming().contains(&stored.level.id) {
                LevelPhase::Confirming
            } else {
                LevelPhase::Armed
            };
        }
        match self.engine().monitor.state(stored.level.id) {
            Some(LevelState::Armed) => LevelPhase::Armed,
            Some(LevelState::Confirming(_)) => LevelPhase::Confirming,
            Some(LevelState::Disarmed) => LevelPhase::Triggered,
            None if stored.armed => LevelPhase::Armed,
            None => LevelPhase::Triggered,
        }
    }

    /// The single step: a batch of ticks (the newest per instrument since the last batch; a
    /// crossing between two batches is still seen, as a move from the last price to this one).
    pub async fn process_ticks(&self, ticks: &[Tick]) -> StepReport {
        let now = self.clock.now_ms();
        let mut logs = Vec::new();
        let mut triggers = Vec::new();
        let mut rearms = Vec::new();
        {
            let mut engine = self.engine();
            for tick in ticks {
                let price = tick.last_price;
                for id in engine.rearmed_by_move(tick.token, price) {
                    rearms.push(entry(
                        id,
                        LevelLogKind::Rearmed,
                        None,
                        price,
                        now,
                        "the price moved far enough away".to_owned(),
                    ));
                }
                for event in engine.monitor.on_tick(tick.token, price, now) {
                    match event {
                        LevelEvent::Crossed {
                            id,
                            direction,
                            price,
                            at_ms,
                        } => logs.push(entry(
                            id,
                            LevelLogKind::Crossed,
                            Some(direction),
                            price,
                            at_ms,
                            format!("{} crossing", direction_word(direction)),
                        )),
                        LevelEvent::Cancelled { id, price, at_ms } => logs.push(entry(
                            id,
                            LevelLogKind::Cancelled,
                            None,
                            price,
                            at_ms,
                            "back through the level before it was confirmed".to_owned(),
                        )),
                        LevelEvent::Triggered {
                            id,
                            direction,
                            price,
                            at_ms,
                        } => {
                            if let Some(w) = engine.levels.get(&id) {
                                // With the logs so far: its crossing among them goes into the
                                // trigger's own transaction.
                                triggers.push((
                                    w.level.clone(),
                                    direction,
                                    price,
                                    at_ms,
                                    logs.len(),
                                ));
                            }
                        }
                    }
                }
            }
        }
        // A level's entries from before its trigger (the crossing, when the same prices
        // confirmed it) are written with the trigger, not a commit of their own before it.
        let mut carried: HashMap<LevelId, Vec<LevelLogEntry>> = HashMap::new();
        let mut own = Vec::new();
        for (i, log) in logs.into_iter().enumerate() {
            let before_its_trigger = triggers
                .iter()
                .any(|(level, .., logs_before)| level.id == log.level && i < *logs_before);
            if before_its_trigger {
                carried.entry(log.level).or_default().push(log);
            } else {
                own.push(log);
            }
        }
        let mut report = StepReport::default();
        for log in own {
            self.append(&mut report, log).await;
        }
        for rearm in rearms {
            match self.store.record_rearm(rearm.level, &rearm).await {
                Ok(_) => report.entries.push(rearm),
                Err(e) => report.errors.push(e.to_string()),
            }
        }
        for (level, direction, price, at_ms, _) in triggers {
            let before = carried.remove(&level.id).unwrap_or_default();
            self.trigger(&mut report, &level, direction, price, at_ms, before)
                .await;
        }
        // Worked through: what each crossing made of these prices is stored.
        let mut engine = self.engine();
        for tick in ticks {
            engine.seen.insert(
                tick.token,
                LevelSeen {
                    price: tick.last_price,
                    at_ms: now,
                },
            );
        }
        report
    }

    /// The last price of `token` the monitor worked through (none yet: no tick of it came
    /// since start, or levels are watched in another process).
    pub fn seen(&self, token: InstrumentToken) -> Option<LevelSeen> {
        self.engine().seen.get(&token).copied()
    }

    async fn append(&self, report: &mut StepReport, log: LevelLogEntry) {
        match self.store.append_log(&log).await {
            Ok(()) => report.entries.push(log),
            Err(e) => report.errors.push(e.to_string()),
        }
    }

    /// `before`: the level's entries from these prices that came before its trigger (its
    /// crossing), written in the trigger's transaction.
    async fn trigger(
        &self,
        report: &mut StepReport,
        level: &Level,
        direction: Direction,
        price: Price,
        at_ms: i64,
        before: Vec<LevelLogEntry>,
    ) {
        let id = level.id;
        let skipped = if level
            .window
            .is_some_and(|w| !w.contains(ist_minute_of_day(at_ms)))
        {
            Some("confirmed outside the level's active window: not traded, still armed")
        } else if self.risk.halted() {
            Some("confirmed while the kill switch is on: not traded, still armed")
        } else if self.session.as_ref().is_some_and(|s| s.is_expired()) {
            Some(
                "confirmed while the Kite session has ended: not traded, still armed (connect Kite again)",
            )
        } else {
            None
        };
        if let Some(why) = skipped {
            self.engine().monitor.rearm(id);
            for log in before {
                self.append(report, log).await;
            }
            let log = entry(
                id,
                LevelLogKind::Skipped,
                Some(direction),
                price,
                at_ms,
                why.to_owned(),
            );
            self.append(report, log).await;
            return;
        }
        let trigger = LastTrigger {
            direction,
            price,
            at_ms,
        };
        let fired = entry(
            id,
            LevelLogKind::Triggered,
            Some(direction),
            price,
            at_ms,
            format!("{} crossing confirmed", direction_word(direction)),
        );
        let tick_size = self
            .catalog
            .get(level.token)
            .map(|i| i.tick_size)
            .unwrap_or(Price::ZERO);
        let mut order = order_for(level, direction, tick_size)
            .map(|request| self.executor.prepare(Some(id), request));
        // The trigger and its pending order are written together, before anything is sent:
        // after a crash the level is disarmed (never fired twice) and its order is pending,
        // found by tag or sent once at start-up (never lost).
        let mut entries = before;
        entries.push(fired);
        match self
            .store
            .record_trigger(id, trigger, &entries, order.as_mut())
            .await
        {
            Ok(true) => report.entries.extend(entries),
            Ok(false) => {
                // Not this process's trigger; its crossing was still seen here.
                entries.pop();
                for log in entries {
                    self.append(report, log).await;
                }
                return;
            }
            Err(e) => {
                entries.pop();
                for log in entries {
                    self.append(report, log).await;
                }
                // Nothing was written: armed again, so the next crossing tries again.
                self.engine().monitor.rearm(id);
                report.errors.push(format!(
                    "level {} triggered but could not be recorded, so no order was sent: {e}",
                    id.0
                ));
                return;
            }
        }
        self.engine().disarmed(id, trigger);
        let Some(intent) = order else {
            let log = entry(
                id,
                LevelLogKind::OrderFailed,
                Some(direction),
                price,
                at_ms,
                format!(
                    "no order is set for a {} crossing",
                    direction_word(direction)
                ),
            );
            self.append(report, log).await;
            return;
        };
        let sent = self.executor.send(&intent).await;
        if let Ok(sent) = &sent {
            report.intents.push(sent.clone());
        }
        let (kind, detail) = match sent {
            Ok(intent) if intent.state == crate::model::IntentState::Rejected => (
                LevelLogKind::OrderFailed,
                format!(
                    "order #{} refused: {}",
                    intent.id,
                    intent.reason.unwrap_or_default()
                ),
            ),
            Ok(intent) => (
                LevelLogKind::OrderPlaced,
                format!(
                    "order #{} {:?} {} {} ({})",
                    intent.id,
                    intent.request.side,
                    intent.request.quantity,
                    intent.request.tradingsymbol,
                    intent.request.tag
                ),
            ),
            Err(e) => (LevelLogKind::OrderFailed, e.to_string()),
        };
        self.append(
            report,
            entry(id, kind, Some(direction), price, at_ms, detail),
        )
        .await;
    }

    /// Arms again every daily level that triggered on an earlier IST day. The worker calls it
    /// every minute; `load` once at start-up.
    pub async fn rearm_due(&self) -> StepReport {
        let now = self.clock.now_ms();
        let today = ist_day_number(now);
        let due: Vec<(LevelId, Price)> = {
            let mut engine = self.engine();
            let due: Vec<(LevelId, Price)> = engine
                .levels
                .values()
                .filter(|w| w.level.rearm == Rearm::Daily)
                .filter_map(|w| {
                    let t = w.last_trigger?;
                    (ist_day_number(t.at_ms) < today).then_some((w.level.id, w.level.price))
                })
                .filter(|(id, _)| engine.monitor.state(*id) == Some(LevelState::Disarmed))
                .collect();
            for (id, _) in &due {
                engine.monitor.rearm(*id);
            }
            due
        };
        let mut report = StepReport::default();
        for (id, price) in due {
            let log = entry(
                id,
                LevelLogKind::Rearmed,
                None,
                price,
                now,
                "a new trading day".to_owned(),
            );
            match self.store.record_rearm(id, &log).await {
                Ok(_) => report.entries.push(log),
                Err(e) => report.errors.push(e.to_string()),
            }
        }
        report
    }
}
