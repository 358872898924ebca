//! `AppState`: the services the server wires up, handed to server functions and SSR through
//! Leptos context (and to axum handlers as router state). Server-only.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::*;
use osp_core::ports::MarketData;
use osp_core::services::status::StatusService;

use crate::error::AppError;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub status: Arc<StatusService>,
    pub market: Arc<dyn MarketData>,
}

/// The state for the current request, or an internal error if the server forgot to provide it.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::internal("AppState is not in context"))
}
