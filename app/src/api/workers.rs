//! Workers: the background workers' states (phase, restarts, last error) and restarting one.

use leptos::prelude::*;
use osp_core::model::WorkerState;

use crate::error::AppError;

/// `POST /api/workers`: every worker, in the order they were started.
#[server(endpoint = "workers")]
pub async fn list_workers() -> Result<Vec<WorkerState>, AppError> {
    crate::api::serve("workers", |state| async move { Ok(state.workers.states()) }).await
}

/// `POST /api/workers/restart`: starts worker `name` again — a failed one, or a running one
/// afresh (it finishes its current step first).
#[server(endpoint = "workers/restart")]
pub async fn restart_worker(name: String) -> Result<(), AppError> {
    crate::api::serve("workers/restart", |state| async move {
        if state.workers.restart(&name) {
            Ok(())
        } else {
            Err(AppError::NotFound(format!("a worker named '{name}'")))
        }
    })
    .await
}

/// `POST /api/feed`: the live feed's figures — connections, instruments followed of how many,
/// tick packets so far, the last update.
#[server(endpoint = "feed")]
pub async fn feed_figures() -> Result<osp_core::model::FeedFigures, AppError> {
    crate::api::serve(
        "feed",
        |state| async move { Ok(state.feed.figures().await) },
    )
    .await
}

/// `POST /api/bus`: the event bus — in process, or Redis between processes: connected, its
/// counters, and the workers' processes heard on it.
#[server(endpoint = "bus")]
pub async fn bus_status() -> Result<osp_core::model::BusStatus, AppError> {
    crate::api::serve("bus", |state| async move { Ok(state.bus.status()) }).await
}
