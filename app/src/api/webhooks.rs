//! The outgoing webhook (admins): where alert firings are sent, a new signing secret on each
//! save (shown once), a test delivery, and the delivery log.

use leptos::prelude::*;
use osp_core::model::{WebhookDelivery, WebhookSaved, WebhookView};

use crate::error::AppError;

/// `POST /api/webhook`: the webhook and its newest deliveries.
#[server(endpoint = "webhook")]
pub async fn read_webhook() -> Result<WebhookView, AppError> {
    crate::error::with_status(
        async move {
            let state = crate::state::app_state()?;
            state.webhooks.view(30).await.map_err(AppError::internal)
        }
        .await,
    )
}

/// `POST /api/webhook/save`: firings go to `url` from now on, signed with a new secret.
#[server(endpoint = "webhook/save")]
pub async fn save_webhook(url: String) -> Result<WebhookSaved, AppError> {
    crate::error::with_status(
        async move {
            let state = crate::state::app_state()?;
            match state
                .webhooks
                .save(&url)
                .await
                .map_err(AppError::internal)?
            {
                Ok(saved) => Ok(saved),
                Err(problem) => Err(AppError::Invalid(vec![crate::error::FieldProblem {
                    field: "url".to_owned(),
                    message: problem,
                }])),
            }
        }
        .await,
    )
}

/// `POST /api/webhook/remove`.
#[server(endpoint = "webhook/remove")]
pub async fn remove_webhook() -> Result<(), AppError> {
    crate::error::with_status(
        async move {
            let state = crate::state::app_state()?;
            state.webhooks.remove().await.map_err(AppError::internal)
        }
        .await,
    )
}

/// `POST /api/webhook/test`: queues a test payload; it shows in the log.
#[server(endpoint = "webhook/test")]
pub async fn test_webhook() -> Result<WebhookDelivery, AppError> {
    crate::error::with_status(
        async move {
            let state = crate::state::app_state()?;
            state
                .webhooks
                .send_test()
                .await
                .map_err(AppError::internal)?
                .map_err(AppError::BadRequest)
        }
        .await,
    )
}
