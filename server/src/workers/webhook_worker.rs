//! The webhook worker: once a second, turns new alert firings into deliveries and sends those
//! due (`WebhookSender::run_once`). Runs under the alerts lease's process only in spirit: a
//! delivery is unique per firing and each attempt is recorded, so two processes would at most
//! send one attempt twice.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::webhooks::WebhookSender;

const EVERY: Duration = Duration::from_secs(1);

pub struct WebhookWorker {
    pub sender: Arc<WebhookSender>,
}

impl WebhookWorker {
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> Result<(), String> {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tick.tick() => {
                    if let Err(e) = self.sender.run_once().await {
                        tracing::warn!(error = %e, "webhook deliveries");
                    }
                }
            }
        }
        Ok(())
    }
}
