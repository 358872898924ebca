//! What every process sharing a bus does with the others' announcements outside the workers:
//! a new Kite login, disconnect or app is resumed from the store (so this process's Kite client
//! and broker session follow it), and — in a web process apart from the workers — the levels,
//! alerts and risk settings it shows are read again.

use std::sync::Arc;

use osp_core::model::StateChange;
use osp_core::services::alerts::AlertService;
use osp_core::services::trading::{LevelTrader, RiskService};
use secrecy::SecretString;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::changes::next_change;
use crate::kite::connection::KiteAccount;

/// The in-memory parts of a web process apart from the workers.
pub struct WebParts {
    pub trader: Arc<LevelTrader>,
    pub alerts: Arc<AlertService>,
    pub risk: Arc<RiskService>,
}

pub struct ChangeFollower {
    pub kite: Arc<KiteAccount>,
    /// The Kite app from the configuration, used while none is saved.
    pub configured: Option<(String, SecretString)>,
    /// `None` where the workers run: they read levels, alerts and limits themselves.
    pub web: Option<WebParts>,
}

impl ChangeFollower {
    pub fn spawn(
        self,
        changes: broadcast::Receiver<StateChange>,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let mut changes = Some(changes);
        tokio::spawn(async move {
            loop {
                let change = tokio::select! {
                    _ = shutdown.cancelled() => return,
                    change = next_change(&mut changes) => change,
                };
                self.apply(change).await;
            }
        })
    }

    /// One announcement (`None`: some were missed, so everything).
    pub async fn apply(&self, change: Option<StateChange>) {
        let is = |what| change.is_none_or(|c| c == what);
        if is(StateChange::KiteSession)
            && let Err(e) = self.kite.resume(self.configured.clone()).await
        {
            tracing::warn!(error = %e, "the Kite connection could not be read again");
        }
        let Some(web) = &self.web else { return };
        if is(StateChange::Levels)
            && let Err(e) = web.trader.load().await
        {
            tracing::warn!(error = %e, "the levels could not be read again");
        }
        if is(StateChange::Alerts)
            && let Err(e) = web.alerts.load().await
        {
            tracing::warn!(error = %e, "the alerts could not be read again");
        }
        if is(StateChange::Risk)
            && let Err(e) = web.risk.reload().await
        {
            tracing::warn!(error = %e, "the risk settings could not be read again");
        }
    }
}
