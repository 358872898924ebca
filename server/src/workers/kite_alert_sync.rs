//! The Kite alerts sync worker: every `workers.kite_alerts_sync_ms`, reads Kite's alerts back
//! into the mirror and records each firing Kite counted since (`BrokerAlertDesk::sync`), where
//! the toasts and the notification centre read them. It skips its turn while the Kite session
//! has ended (Kite would refuse; Connect Kite starts it again). It runs under the
//! `kite-alerts` lease, so one process calls Kite (a second stands by); a firing is recorded
//! once by its alert and count besides, so two syncing would still record nothing twice.
//! While the kill switch is on, each sync takes any ATO alert Kite lists out of its hands.

use std::sync::Arc;
use std::time::Duration;

use osp_core::model::StateChange;
use osp_core::services::alerts::BrokerAlertDesk;
use osp_core::services::announcer::Announcer;
use osp_core::services::trading::BrokerSession;
use tokio_util::sync::CancellationToken;

/// The lease the syncing process holds.
pub const KITE_ALERTS_LEASE: &str = "kite-alerts";

pub struct KiteAlertSync {
    pub desk: Arc<BrokerAlertDesk>,
    pub session: Arc<BrokerSession>,
    pub every: Duration,
    /// Told of each sync that recorded firings (web processes apart push them at once).
    pub announce: Announcer,
}

impl KiteAlertSync {
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> Result<(), String> {
        let mut tick = tokio::time::interval(self.every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tick.tick() => {
                    if self.session.is_expired() {
                        continue;
                    }
                    match self.desk.sync().await {
                        Ok(report) => {
                            if !report.fired.is_empty() {
                                self.announce.tell(StateChange::Activity);
                            }
                            if report.stood_down.suspended > 0 {
                                tracing::warn!(
                                    alerts = report.stood_down.suspended,
                                    "kill switch on: ATO alerts taken out of Kite's hands (kept to put back)"
                                );
                                self.announce.tell(StateChange::Activity);
                            }
                            for problem in &report.stood_down.problems {
                                tracing::warn!(%problem, "kill switch on: a Kite ATO alert");
                            }
                            for firing in &report.fired {
                                metrics::counter!("osp_kite_alerts_fired_total").increment(1);
                                tracing::info!(alert = %firing.alert_id, text = %firing.text, "Kite alert fired");
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "Kite alerts sync"),
                    }
                }
            }
        }
        Ok(())
    }
}
