//! Orders: the order book — every order the platform recorded (levels' and, later, manual and
//! exit orders), newest first, with its state at the broker.

use leptos::prelude::*;
use osp_core::model::OrderIntent;

use crate::error::AppError;

/// Orders one request returns, at most.
pub const MAX_ORDERS: u32 = 200;

/// `POST /api/orders`.
#[server(endpoint = "orders")]
pub async fn list_orders() -> Result<Vec<OrderIntent>, AppError> {
    crate::error::with_status(
        async move {
            let state = crate::state::app_state()?;
            Ok(state.orders.recent(MAX_ORDERS).await?)
        }
        .await,
    )
}
