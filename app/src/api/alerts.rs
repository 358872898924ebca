//! Alerts: list (with the latest ticks of their instruments), create, edit, enable/disable,
//! delete, and the history of firings. Each answers with what is stored now.

use leptos::prelude::*;
use osp_core::model::{Alert, AlertEvent, Tick};
use osp_core::services::alerts::AlertDraft;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertsView {
    pub alerts: Vec<Alert>,
    pub ticks: Vec<Tick>,
    /// How many the monitor watches now (enabled and armed).
    pub watched: usize,
}

/// `POST /api/alerts`.
#[server(endpoint = "alerts")]
pub async fn list_alerts() -> Result<AlertsView, AppError> {
    crate::api::serve("alerts", |state| async move {
        let alerts = state.alerts.list().await?;
        let tokens: Vec<osp_core::model::InstrumentToken> =
            alerts.iter().flat_map(|a| a.condition.tokens()).collect();
        let ticks = osp_core::ports::MarketData::latest(state.prices.as_ref(), &tokens);
        Ok(AlertsView {
            alerts,
            ticks,
            watched: state.alerts.watched(),
        })
    })
    .await
}

/// `POST /api/alerts/create` with `{"draft": {...}}`.
#[server(endpoint = "alerts/create", input = leptos::server_fn::codec::Json)]
pub async fn create_alert(draft: AlertDraft) -> Result<Alert, AppError> {
    crate::api::serve("alerts/create", |state| async move {
        let by = crate::auth::signed_in()?.username;
        Ok(state.alerts.create(&draft, &by).await?)
    })
    .await
}

/// `POST /api/alerts/update` with `{"id": N, "draft": {...}}`: it watches anew.
#[server(endpoint = "alerts/update", input = leptos::server_fn::codec::Json)]
pub async fn update_alert(id: i64, draft: AlertDraft) -> Result<Alert, AppError> {
    crate::api::serve("alerts/update", |state| async move {
        Ok(state
            .alerts
            .update(osp_core::model::AlertId(id), &draft)
            .await?)
    })
    .await
}

/// `POST /api/alerts/enable`: enabling a fired one-shot alert arms it again.
#[server(endpoint = "alerts/enable")]
pub async fn set_alert_enabled(id: i64, enabled: bool) -> Result<Alert, AppError> {
    crate::api::serve("alerts/enable", |state| async move {
        Ok(state
            .alerts
            .set_enabled(osp_core::model::AlertId(id), enabled)
            .await?)
    })
    .await
}

/// `POST /api/alerts/delete`: its history stays.
#[server(endpoint = "alerts/delete")]
pub async fn delete_alert(id: i64) -> Result<(), AppError> {
    crate::api::serve("alerts/delete", |state| async move {
        Ok(state.alerts.delete(osp_core::model::AlertId(id)).await?)
    })
    .await
}

/// `POST /api/alerts/history`: the newest firings of one alert (or of all).
#[server(endpoint = "alerts/history")]
pub async fn alert_history(alert: Option<i64>, limit: u32) -> Result<Vec<AlertEvent>, AppError> {
    crate::api::serve("alerts/history", |state| async move {
        Ok(state
            .alerts
            .history(alert.map(osp_core::model::AlertId), limit)
            .await?)
    })
    .await
}
