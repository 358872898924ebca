//! The outgoing webhook (admins): where alert firings are sent, a new signing secret on each
//! save (shown once), a test delivery, and the delivery log.

use leptos::prelude::*;
use osp_core::model::{WebhookDelivery, WebhookSaved, WebhookView};

use crate::error::AppError;

/// `POST /api/webhook`: the webhook and its newest deliveries.
#[server(endpoint = "webhook")]
pub async fn read_webhook() -> Result<WebhookView, AppError> {
    crate::api::serve("webhook", |state| async move {
        Ok(state.webhooks.view(30).await?)
    })
    .await
}

/// `POST /api/webhook/save`: firings go to `url` from now on, signed with a new secret.
#[server(endpoint = "webhook/save")]
pub async fn save_webhook(url: String) -> Result<WebhookSaved, AppError> {
    crate::api::serve("webhook/save", |state| async move {
        Ok(state.webhooks.save(&url).await?)
    })
    .await
}

/// `POST /api/webhook/remove`.
#[server(endpoint = "webhook/remove")]
pub async fn remove_webhook() -> Result<(), AppError> {
    crate::api::serve("webhook/remove", |state| async move {
        Ok(state.webhooks.remove().await?)
    })
    .await
}

/// `POST /api/webhook/test`: queues a test payload; it shows in the log.
#[server(endpoint = "webhook/test")]
pub async fn test_webhook() -> Result<WebhookDelivery, AppError> {
    crate::api::serve("webhook/test", |state| async move {
        Ok(state.webhooks.send_test().await?)
    })
    .await
}
