//! The webhook worker: once a second, turns new alert firings into deliveries and sends those
//! due (`WebhookSender::run_once`). It runs under the `webhooks` lease, so one process sends
//! (a second stands by); a delivery is unique per firing besides, so even two could at most
//! repeat one attempt.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::webhooks::WebhookSender;

const EVERY: Duration = Duration::from_secs(1);

/// The lease the sending process holds.
pub const WEBHOOKS_LEASE: &str = "webhooks";

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
