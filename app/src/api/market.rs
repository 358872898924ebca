use leptos::prelude::*;
use osp_core::model::MarketSnapshot;

use crate::error::AppError;

/// The latest quotes of every streamed instrument. `POST /api/market/snapshot`.
#[server(endpoint = "market/snapshot")]
pub async fn get_market_snapshot() -> Result<MarketSnapshot, AppError> {
    let state = crate::state::app_state()?;
    Ok(state.market.snapshot())
}
