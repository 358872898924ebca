//! The account's Kite connection (Settings page): its state, the Kite app's API key and
//! secret (admins; the secret is stored encrypted and never sent back), and disconnecting.
//! Connecting is a page navigation (`/kite/connect`), not a server function.

use leptos::prelude::*;
use osp_core::model::KiteStatus;

use crate::error::AppError;

#[cfg(feature = "ssr")]
fn kite() -> Result<std::sync::Arc<dyn osp_core::ports::KiteConnection>, AppError> {
    Ok(crate::state::app_state()?.kite)
}

/// `POST /api/kite/status`.
#[server(endpoint = "kite/status")]
pub async fn read_kite_status() -> Result<KiteStatus, AppError> {
    crate::api::serve("kite/status", |_state| async move {
        kite()?.status().await.map_err(AppError::internal)
    })
    .await
}

/// `POST /api/kite/app`: the Kite app's API key and secret.
#[server(endpoint = "kite/app")]
pub async fn save_kite_app(api_key: String, api_secret: String) -> Result<KiteStatus, AppError> {
    crate::api::serve("kite/app", |_state| async move {
        match kite()?
            .save_app(&api_key, &api_secret)
            .await
            .map_err(AppError::internal)?
        {
            Ok(status) => Ok(status),
            Err(problems) => Err(AppError::Invalid(problems)),
        }
    })
    .await
}

/// `POST /api/kite/disconnect`: the session is invalidated at Kite and forgotten here.
#[server(endpoint = "kite/disconnect")]
pub async fn disconnect_kite() -> Result<KiteStatus, AppError> {
    crate::api::serve("kite/disconnect", |_state| async move {
        kite()?.disconnect().await.map_err(AppError::internal)
    })
    .await
}
