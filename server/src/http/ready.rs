//! `GET /ready`: readiness for a load balancer or an orchestrator — per component, as JSON.
//! Ready (200) when the database answers, the feed is up while the market is open, and every
//! worker is running (or a standby waiting for the trading lease), and — when processes share
//! a bus — the bus is subscribed; otherwise 503 with the component that is not. `/health`
//! stays the liveness check. On the web process only a signed-in user gets the detail (error
//! texts, the bus's address, worker phases); anyone else — a load balancer — gets the flags.
//! A workers process (no pages, no sign-in, an address kept internal) answers with the detail.

use std::sync::Arc;

use app::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use osp_core::model::{HealthState, WorkerState};
use osp_core::ports::WorkerControl;

use crate::bus::RedisBus;

/// `workers`: this process's own (a web process apart from the workers has none, and is not
/// made unready by another process's failed worker).
pub async fn ready(
    State(state): State<AppState>,
    signed_in: Option<axum::Extension<app::auth::CurrentUser>>,
    bus: Option<Arc<RedisBus>>,
    workers: Arc<dyn WorkerControl>,
    detail_for_anyone: bool,
) -> Response {
    let detail = detail_for_anyone || signed_in.is_some_and(|user| user.0.0.is_some());
    let status = state.status.status().await;
    let workers = workers.states();
    let database_ok = status.overall() == HealthState::Ok;
    let market_open = status.market.open;
    let feed_ok = status.feed_ready();
    let workers_ok = workers.iter().all(WorkerState::is_ready);
    let bus = bus.map(|b| b.figures());
    let bus_ok = bus.as_ref().is_none_or(|b| b.connected);
    let ready = database_ok && feed_ok && workers_ok && bus_ok;
    let body = serde_json::json!({
        "ready": ready,
        "database": {
            "ready": database_ok,
            "backend": status.database_backend,
            "detail": status.database.detail,
        },
        "feed": {
            "ready": feed_ok,
            "status": status.feed.state,
            "detail": status.feed.detail,
            "market_open": market_open,
        },
        "bus": match &bus {
            Some(bus) => serde_json::json!({
                "ready": bus.connected,
                "kind": "redis",
                "address": bus.address,
                "process": bus.process,
                "last_error": bus.last_error,
                "published": bus.published,
                "received": bus.received,
                "dropped": bus.dropped,
            }),
            None => serde_json::json!({ "ready": true, "kind": "in-process" }),
        },
        "workers": workers.iter().map(|w| serde_json::json!({
            "name": w.name,
            "ready": w.is_ready(),
            "phase": w.phase.label(),
            "restarts": w.restarts,
            "last_error": w.last_error,
            "since_ms": w.since_ms,
        })).collect::<Vec<_>>(),
    });
    let body = if detail {
        body
    } else {
        serde_json::json!({
            "ready": ready,
            "database": { "ready": database_ok },
            "feed": { "ready": feed_ok },
            "bus": { "ready": bus_ok },
            "workers": { "ready": workers_ok },
        })
    };
    let code = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body)).into_response()
}
