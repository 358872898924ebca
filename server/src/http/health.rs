//! `GET /health`: overall status, database reachability, feed state and version as JSON.
//! 200 when the database answers, 503 when it does not (the rule is the core's).

use app::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use osp_core::model::HealthState;

pub async fn health(State(state): State<AppState>) -> Response {
    let status = state.status.status().await;
    let overall = status.overall();
    let code = match overall {
        HealthState::Ok => StatusCode::OK,
        HealthState::Down => StatusCode::SERVICE_UNAVAILABLE,
    };
    if overall == HealthState::Down {
        tracing::warn!(database = %status.database.detail, "health check: database down");
    }
    let body = serde_json::json!({
        "status": overall,
        "version": status.version,
        "mode": status.mode,
        "database": {
            "backend": status.database_backend,
            "status": status.database.state,
            "detail": status.database.detail,
        },
        "feed": {
            "status": status.feed.state,
            "detail": status.feed.detail,
        },
        "server_time_ms": status.server_time_ms,
    });
    (code, Json(body)).into_response()
}
