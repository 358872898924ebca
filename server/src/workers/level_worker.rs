//! The level worker: feeds every tick batch from the bus to the `LevelTrader` (the level
//! monitor and the orders it places), every broker order update to the `OrderExecutor`, and
//! once a minute (and whenever updates were missed) applies daily re-arms, reconciles pending
//! orders and catches open ones up with the broker's book. It holds no rule.

use std::sync::Arc;
use std::time::Duration;

use osp_core::model::BrokerOrder;
use osp_core::ports::{Interest, TickBus};
use osp_core::services::trading::{LevelTrader, OrderExecutor, StepReport};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// How often daily re-arms and the pending-order reconciliation run.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(60);

pub struct LevelWorker {
    pub trader: Arc<LevelTrader>,
    pub executor: Arc<OrderExecutor>,
    pub bus: Arc<dyn TickBus>,
    pub order_events: broadcast::Receiver<BrokerOrder>,
}

fn log_report(report: &StepReport) {
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
        tracing::error!(%error, "level worker");
    }
}

impl LevelWorker {
    /// Open orders caught up with the broker's book (updates missed during a reconnect or a lag).
    async fn sync_open(&self) {
        if let Err(e) = self.executor.sync_open().await {
            tracing::warn!(error = %e, "open orders could not be read from the broker; trying again in a minute");
        }
    }

    pub async fn run_until_stopped(mut self, shutdown: CancellationToken) {
        let ticks = self.bus.subscribe(Interest::All);
        let mut housekeeping = tokio::time::interval(HOUSEKEEPING_EVERY);
        housekeeping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                batch = ticks.next_batch() => match batch {
                    Some(batch) => log_report(&self.trader.process_ticks(&batch).await),
                    None => break,
                },
                update = self.order_events.recv() => match update {
                    Ok(order) => {
                        if let Err(e) = self.executor.on_order_update(&order).await {
                            tracing::error!(error = %e, order_id = %order.order_id, "order update not recorded");
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "order updates arrived faster than they were recorded; reading the open orders from the broker");
                        self.sync_open().await;
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                _ = housekeeping.tick() => {
                    log_report(&self.trader.rearm_due().await);
                    if let Err(e) = self.executor.reconcile_pending().await {
                        tracing::warn!(error = %e, "pending orders could not be reconciled; trying again in a minute");
                    }
                    self.sync_open().await;
                }
            }
        }
        tracing::debug!("level worker stopped");
    }
}
