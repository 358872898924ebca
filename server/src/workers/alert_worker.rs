//! The alert monitor worker: feeds every tick batch from the bus to the `AlertService`, which
//! evaluates only the alerts each tick concerns and records every firing in the history
//! (where the toasts and, later, the other notifications read it). It holds no rule.

use std::sync::Arc;

use osp_core::model::StateChange;
use osp_core::ports::{Interest, TickBus};
use osp_core::services::alerts::AlertService;
use osp_core::services::announcer::Announcer;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::changes::next_change;

/// The lease only one process's alert monitor may hold (a second one stands by): an alert
/// fires once, not once per process.
pub const ALERTS_LEASE: &str = "alerts";

pub struct AlertWorker {
    pub alerts: Arc<AlertService>,
    pub bus: Arc<dyn TickBus>,
    /// Read the alerts from the store before the first step (a restart, or a take-over).
    pub reload: bool,
    /// What the web processes changed, when they run apart: alerts are read again.
    pub changes: Option<broadcast::Receiver<StateChange>>,
    /// Told of each firing, so web processes apart push it at once.
    pub announce: Announcer,
}

impl AlertWorker {
    /// Runs until `shutdown`; an error means it could not start (the manager tries again).
    pub async fn run_until_stopped(mut self, shutdown: CancellationToken) -> Result<(), String> {
        // Subscribed first, so no tick arriving while the alerts load is missed.
        let ticks = self.bus.subscribe(Interest::All);
        if self.reload {
            let watched = self
                .alerts
                .load()
                .await
                .map_err(|e| format!("the alerts could not be loaded: {e}"))?;
            tracing::info!(watched, "alerts loaded");
        }
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                batch = ticks.next_batch() => match batch {
                    Some(batch) => {
                        let report = self.alerts.process_ticks(&batch).await;
                        if !report.fired.is_empty() {
                            self.announce.tell(StateChange::Activity);
                        }
                        for event in &report.fired {
                            metrics::counter!("osp_alerts_fired_total").increment(1);
                            tracing::info!(alert = event.alert.0, text = %event.text, "alert fired");
                        }
                        for error in &report.errors {
                            tracing::error!(%error, "alert monitor");
                        }
                    }
                    None => break,
                },
                change = next_change(&mut self.changes) => {
                    if change.is_none_or(|what| what == StateChange::Alerts) {
                        match self.alerts.load().await {
                            Ok(watched) => tracing::debug!(watched, "alerts read again after a change elsewhere"),
                            Err(e) => tracing::error!(error = %e, "the alerts could not be read again"),
                        }
                    }
                }
            }
        }
        tracing::debug!("alert worker stopped");
        Ok(())
    }
}
