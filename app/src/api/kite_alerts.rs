//! Kite's own alerts (its Alerts API): the mirror with its freshness and Kite's limit, create
//! (simple or ATO), modify, delete, Kite's history of one, sync now, and the ATO alerts the
//! kill switch took from Kite: put one back (through the risk gate) or let it go. Each write
//! goes to Kite first and answers with what Kite now holds.

use leptos::prelude::*;
use osp_core::model::{BrokerAlert, BrokerAlertHistoryEntry};
use osp_core::services::alerts::{BrokerAlertBoard, BrokerAlertDraft};

use crate::error::AppError;

/// `POST /api/kite-alerts`: the alerts at Kite as last synced.
#[server(endpoint = "kite-alerts")]
pub async fn kite_alerts() -> Result<BrokerAlertBoard, AppError> {
    crate::api::serve("kite-alerts", |state| async move {
        Ok(state.kite_alerts.board().await?)
    })
    .await
}

/// `POST /api/kite-alerts/create` with `{"draft": {...}}`.
#[server(endpoint = "kite-alerts/create", input = leptos::server_fn::codec::Json)]
pub async fn create_kite_alert(draft: BrokerAlertDraft) -> Result<BrokerAlert, AppError> {
    crate::api::serve("kite-alerts/create", |state| async move {
        Ok(state.kite_alerts.create(&draft).await?)
    })
    .await
}

/// `POST /api/kite-alerts/modify` with `{"id": "uuid", "draft": {...}}`.
#[server(endpoint = "kite-alerts/modify", input = leptos::server_fn::codec::Json)]
pub async fn modify_kite_alert(
    id: String,
    draft: BrokerAlertDraft,
) -> Result<BrokerAlert, AppError> {
    crate::api::serve("kite-alerts/modify", |state| async move {
        Ok(state.kite_alerts.modify(&id, &draft).await?)
    })
    .await
}

/// `POST /api/kite-alerts/delete`.
#[server(endpoint = "kite-alerts/delete")]
pub async fn delete_kite_alert(id: String) -> Result<(), AppError> {
    crate::api::serve("kite-alerts/delete", |state| async move {
        Ok(state.kite_alerts.delete(&id).await?)
    })
    .await
}

/// `POST /api/kite-alerts/history`: Kite's record of one alert's firings, read now.
#[server(endpoint = "kite-alerts/history")]
pub async fn kite_alert_history(id: String) -> Result<Vec<BrokerAlertHistoryEntry>, AppError> {
    crate::api::serve("kite-alerts/history", |state| async move {
        Ok(state.kite_alerts.history(&id).await?)
    })
    .await
}

/// `POST /api/kite-alerts/sync`: reads Kite's list now (the sync worker also does, regularly).
#[server(endpoint = "kite-alerts/sync")]
pub async fn sync_kite_alerts() -> Result<BrokerAlertBoard, AppError> {
    crate::api::serve("kite-alerts/sync", |state| async move {
        state
            .kite_alerts
            .sync()
            .await
            .map_err(AppError::Unavailable)?;
        Ok(state.kite_alerts.board().await?)
    })
    .await
}

/// `POST /api/kite-alerts/put-back`: makes an ATO alert the kill switch took from Kite again
/// at Kite, as it was (refused while the kill switch is on, or over a risk limit).
#[server(endpoint = "kite-alerts/put-back")]
pub async fn put_back_kite_alert(id: String) -> Result<BrokerAlert, AppError> {
    crate::api::serve("kite-alerts/put-back", |state| async move {
        Ok(state.kite_alerts.put_back(&id).await?)
    })
    .await
}

/// `POST /api/kite-alerts/let-go`: forgets an ATO alert the kill switch took, without making
/// it again at Kite.
#[server(endpoint = "kite-alerts/let-go")]
pub async fn let_go_kite_alert(id: String) -> Result<(), AppError> {
    crate::api::serve("kite-alerts/let-go", |state| async move {
        Ok(state.kite_alerts.let_go(&id).await?)
    })
    .await
}
