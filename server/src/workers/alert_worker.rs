//! The alert monitor worker: feeds every tick batch from the bus to the `AlertService`, which
//! evaluates only the alerts each tick concerns and records every firing in the history
//! (where the toasts and, later, the other notifications read it). It holds no rule.

use std::sync::Arc;

use osp_core::ports::{Interest, TickBus};
use osp_core::services::alerts::AlertService;
use tokio_util::sync::CancellationToken;

/// The lease only one process's alert monitor may hold (a second one stands by): an alert
/// fires once, not once per process.
pub const ALERTS_LEASE: &str = "alerts";

pub struct AlertWorker {
    pub alerts: Arc<AlertService>,
    pub bus: Arc<dyn TickBus>,
    /// Read the alerts from the store before the first step (a restart, or a take-over).
    pub reload: bool,
}

impl AlertWorker {
    /// Runs until `shutdown`; an error means it could not start (the manager tries again).
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> Result<(), String> {
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
            }
        }
        tracing::debug!("alert worker stopped");
        Ok(())
    }
}
