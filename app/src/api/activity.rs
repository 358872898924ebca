//! Activity: what just happened (a level triggered, an order filled or was rejected, a trade
//! closed), for the toasts every page shows.

use leptos::prelude::*;
use osp_core::services::activity::ActivityFeed;

use crate::error::AppError;

/// `POST /api/activity`: what happened after `since_ms`; without it, only the moment to start
/// from (a page that just opened shows nothing old).
#[server(endpoint = "activity")]
pub async fn recent_activity(since_ms: Option<i64>) -> Result<ActivityFeed, AppError> {
    crate::api::serve("activity", |state| async move {
        state
            .activity
            .since(since_ms)
            .await
            .map_err(AppError::internal)
    })
    .await
}
