//! Risk: the account's limits (read and edited as a form) and the kill switch (engage, with or
//! without squaring off, and release).

use leptos::prelude::*;
use osp_core::model::KillSwitch;
use osp_core::services::trading::{KillSwitchReport, RiskLimitsDraft};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The limits as the form shows them, and the kill switch if it is on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskView {
    pub limits: RiskLimitsDraft,
    pub kill_switch: Option<KillSwitch>,
}

#[cfg(feature = "ssr")]
fn view(state: &crate::state::AppState) -> RiskView {
    RiskView {
        limits: RiskLimitsDraft::from_limits(&state.risk.limits()),
        kill_switch: state.risk.kill_switch(),
    }
}

/// `POST /api/risk`.
#[server(endpoint = "risk")]
pub async fn risk_settings() -> Result<RiskView, AppError> {
    crate::api::serve("risk", |state| async move { Ok(view(&state)) }).await
}

/// `POST /api/risk/limits` (JSON `{"draft": {...}}`): every wrong field is named; nothing
/// changes unless all are right.
#[server(endpoint = "risk/limits", input = leptos::server_fn::codec::Json)]
pub async fn set_risk_limits(draft: RiskLimitsDraft) -> Result<RiskView, AppError> {
    crate::api::serve("risk/limits", |state| async move {
        state.risk.set_limits(&draft).await?;
        Ok(view(&state))
    })
    .await
}

/// `POST /api/risk/kill-switch`: stops all triggering and entries, cancels open entry orders
/// and, with `square_off`, exits every open trade. Holds across restarts until released.
#[server(endpoint = "risk/kill-switch")]
pub async fn engage_kill_switch(square_off: bool) -> Result<KillSwitchReport, AppError> {
    crate::api::serve("risk/kill-switch", |state| async move {
        Ok(state.risk.engage(square_off).await?)
    })
    .await
}

/// `POST /api/risk/release`.
#[server(endpoint = "risk/release")]
pub async fn release_kill_switch() -> Result<(), AppError> {
    crate::api::serve("risk/release", |state| async move {
        Ok(state.risk.release().await?)
    })
    .await
}
