use leptos::prelude::*;
use osp_core::model::AppStatus;

use crate::error::AppError;

/// The server's health, version and trading mode. `POST /api/status`.
#[server(endpoint = "status")]
pub async fn get_status() -> Result<AppStatus, AppError> {
    crate::api::serve(
        "status",
        |state| async move { Ok(state.status.status().await) },
    )
    .await
}
