//! The fourth builder: price alerts (watched by the alert worker), Kite's own alerts (built by
//! the trading builder, since an ATO alert is an order Kite holds), and the outgoing webhook
//! their firings go to.

use std::sync::Arc;

use anyhow::Context;
use osp_core::ports::{AlertStore, MarketData};
use osp_core::services::alerts::{AlertService, BrokerAlertDesk};

use super::infra::Infra;
use super::market_data::Market;
use super::trading::Trading;
use crate::webhooks::WebhookSender;

pub(super) struct Alerts {
    pub alerts: Arc<AlertService>,
    /// Kite's own alerts (simple and ATO): made at Kite, mirrored, synced.
    pub kite_alerts: Arc<BrokerAlertDesk>,
    /// Alert firings go to the account's webhook (if one is set), signed and retried.
    pub webhooks: Arc<WebhookSender>,
}

impl Alerts {
    pub async fn build(
        infra: &Infra,
        market: &Market,
        trading: &Trading,
        settings: &crate::config::Settings,
    ) -> anyhow::Result<Alerts> {
        let (database, clock) = (&infra.database, &infra.clock);
        // Price alerts: watched by the alert worker (while this process holds the alerts lease),
        // every firing kept in their history.
        let mut alerts = AlertService::new(
            Arc::new(database.clone()) as Arc<dyn AlertStore>,
            market.market.prices.clone() as Arc<dyn MarketData>,
            market.catalog.clone(),
            market.subscriptions.clone(),
            clock.clone(),
        );
        if let Some(announce) = infra.topology.announce() {
            alerts = alerts.with_changes(announce);
        }
        let alerts = Arc::new(alerts);
        let watched = alerts
            .load()
            .await
            .map_err(|e| anyhow::anyhow!("cannot load the alerts: {e}"))?;
        tracing::info!(alerts = watched, "alerts loaded");
        let webhooks = Arc::new(
            WebhookSender::new(
                database.clone(),
                infra.secrets.clone(),
                clock.clone(),
                settings.server.webhook_private_hosts.clone(),
            )
            .context("building the webhook client")?,
        );
        Ok(Alerts {
            alerts,
            kite_alerts: trading.kite_alerts.clone(),
            webhooks,
        })
    }
}
