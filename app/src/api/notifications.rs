//! The notification centre: the newest activity and how much of it the signed-in user has not
//! read; marking it read.

use leptos::prelude::*;
use osp_core::services::activity::NotificationCentreView;

use crate::error::AppError;

/// `POST /api/notifications`.
#[server(endpoint = "notifications")]
pub async fn notifications() -> Result<NotificationCentreView, AppError> {
    crate::api::serve("notifications", |state| async move {
        let user = crate::auth::signed_in()?;
        state
            .notifications
            .view(user.id)
            .await
            .map_err(AppError::internal)
    })
    .await
}

/// `POST /api/notifications/read`: everything up to `until_ms` (the newest item shown) is read.
#[server(endpoint = "notifications/read")]
pub async fn mark_notifications_read(until_ms: i64) -> Result<NotificationCentreView, AppError> {
    crate::api::serve("notifications/read", |state| async move {
        let user = crate::auth::signed_in()?;
        state
            .notifications
            .mark_read(user.id, until_ms)
            .await
            .map_err(AppError::internal)
    })
    .await
}
