//! The trading worker: a thin pump around the core's `TradingEngine`. It feeds every tick
//! batch from the bus to the engine's exit lane (`on_ticks`) and, on a subscription and a task
//! of its own, to its entry lane (`on_entry_ticks`) — so an entry whose placement hangs never
//! holds back a stop-loss exit or an order update; every broker order update to
//! `on_order_update`; what the web processes changed to `on_change`; and it runs the engine's
//! timers (`Timer::Answers` every second while an answer is outstanding, `Timer::Housekeeping`
//! once a minute). It logs and counts what the engine reports. It holds no rule.

use std::sync::Arc;
use std::time::Duration;

use osp_core::model::{BrokerOrder, StateChange};
use osp_core::ports::{Interest, TickBus, TickSubscription};
use osp_core::services::trading::{EngineReport, Timer, TradingEngine};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::changes::next_change;

/// How often re-arms, reconciliation, square-off and catch-up run.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(60);
/// While a placement's answer is outstanding, the broker's book is asked this often.
const ANSWERS_EVERY: Duration = Duration::from_secs(1);
/// How long a run that has just started (at start-up, after a restart, or taking over from a
/// process that died) waits at most for its first prices before it sends what is waiting.
/// Kite's ticker connects as the run starts; until prices arrive the risk checks would refuse
/// every order waiting to go, and those placed by hand meanwhile ("no live price yet"). A
/// closed market sends none: then it goes on without.
const FIRST_PRICES_WAIT: Duration = Duration::from_secs(5);

pub struct TradingWorker {
    pub engine: Arc<TradingEngine>,
    pub bus: Arc<dyn TickBus>,
    pub order_events: broadcast::Receiver<BrokerOrder>,
    /// Read levels, trades and limits from the store before the first step: a restart, or a
    /// take-over from another process (a run right after start-up has them fresh already).
    pub reload: bool,
    /// What the web processes changed, when they run apart (`None` in one process).
    pub changes: Option<broadcast::Receiver<StateChange>>,
}

/// The engine's report in the log and the metrics.
fn log(report: &EngineReport) {
    for entry in &report.level_events {
        tracing::info!(
            level = entry.level.0,
            kind = entry.kind.label(),
            price = %entry.price,
            detail = %entry.detail,
            "level event"
        );
    }
    for intent in &report.intents {
        metrics::counter!("osp_order_updates_total", "state" => intent.state.code()).increment(1);
    }
    for note in &report.trade_notes {
        tracing::info!(%note, "trade event");
    }
    for error in &report.errors {
        tracing::error!(%error, "trading engine");
    }
    for retry in &report.retries {
        tracing::warn!(%retry, "trading engine");
    }
}

/// The entry lane's loop, on a subscription of its own: a slow placement here waits alone.
async fn entries(
    engine: Arc<TradingEngine>,
    ticks: Box<dyn TickSubscription>,
    stop: CancellationToken,
) {
    loop {
        let batch = tokio::select! {
            _ = stop.cancelled() => break,
            batch = ticks.next_batch() => match batch {
                Some(batch) => batch,
                None => break,
            },
        };
        let started = std::time::Instant::now();
        let report = engine.on_entry_ticks(&batch).await;
        if !report.intents.is_empty() {
            // From the ticks' arrival here to the order's answer from the broker, and the
            // changed intents applied to the trades (the engine's one step for the batch).
            metrics::histogram!("osp_tick_to_order_seconds")
                .record(started.elapsed().as_secs_f64());
        }
        log(&report);
    }
}

impl TradingWorker {
    /// Runs until `shutdown`; an error means it could not start (the manager tries again).
    pub async fn run_until_stopped(mut self, shutdown: CancellationToken) -> Result<(), String> {
        // Subscribed first, so no tick arriving while the rest loads is missed.
        let ticks = self.bus.subscribe(Interest::All);
        let level_ticks = self.bus.subscribe(Interest::All);
        if self.reload {
            log(&self.engine.reload().await?);
        }
        // The entry lane runs beside this loop, and stops with it however it ends.
        let stop_entries = shutdown.child_token();
        let _stop_entries_on_drop = stop_entries.clone().drop_guard();
        let mut entry_lane = tokio::spawn(entries(
            self.engine.clone(),
            level_ticks,
            stop_entries.clone(),
        ));
        // Nothing waiting is sent before the first prices: the risk checks need them.
        let first = tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            first = tokio::time::timeout(FIRST_PRICES_WAIT, ticks.next_batch()) => first,
        };
        match first {
            Ok(Some(batch)) => log(&self.engine.on_ticks(&batch).await),
            // The bus closed: the run ends with it.
            Ok(None) => return Ok(()),
            Err(_) => tracing::info!(
                "no prices in the first {} s; what is waiting is sent without",
                FIRST_PRICES_WAIT.as_secs()
            ),
        }
        let mut housekeeping = tokio::time::interval(HOUSEKEEPING_EVERY);
        housekeeping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut answers = tokio::time::interval(ANSWERS_EVERY);
        answers.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let engine = self.engine.clone();
        loop {
            let report = tokio::select! {
                _ = shutdown.cancelled() => break,
                ended = &mut entry_lane => match ended {
                    // The bus closed: this loop ends with it.
                    Ok(()) => break,
                    Err(e) => return Err(format!("the level monitor stopped: {e}")),
                },
                batch = ticks.next_batch() => match batch {
                    Some(batch) => engine.on_ticks(&batch).await,
                    None => break,
                },
                update = self.order_events.recv() => match update {
                    Ok(order) => engine.on_order_update(&order).await,
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "order updates arrived faster than they were recorded; reading the open orders from the broker");
                        engine.on_updates_missed().await
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                _ = housekeeping.tick() => engine.on_timer(Timer::Housekeeping).await,
                _ = answers.tick(), if engine.awaiting_answers() => engine.on_timer(Timer::Answers).await,
                change = next_change(&mut self.changes) => engine.on_change(change).await,
            };
            log(&report);
        }
        stop_entries.cancel();
        if !entry_lane.is_finished() {
            let _ = entry_lane.await;
        }
        tracing::debug!("trading worker stopped");
        Ok(())
    }
}
