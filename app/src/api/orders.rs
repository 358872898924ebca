//! Orders: the order book — every order the platform recorded (levels', manual and exit
//! orders), newest first, with its state at the broker; placing a manual ticket; modifying and
//! cancelling an open order.

use leptos::prelude::*;
use osp_core::model::OrderIntent;
use osp_core::services::trading::{OrderChange, OrderTicket};

use crate::error::AppError;

/// Orders one request returns, at most.
pub const MAX_ORDERS: u32 = 200;

/// `POST /api/orders`.
#[server(endpoint = "orders")]
pub async fn list_orders() -> Result<Vec<OrderIntent>, AppError> {
    crate::api::serve("orders", |state| async move {
        Ok(state.orders.recent(MAX_ORDERS).await?)
    })
    .await
}

/// `POST /api/orders/place` (JSON `{"ticket": {...}}`): every wrong field is named and nothing
/// is sent; a risk or broker refusal comes back as the order, rejected with its reason.
#[server(endpoint = "orders/place", input = leptos::server_fn::codec::Json)]
pub async fn place_order(ticket: OrderTicket) -> Result<OrderIntent, AppError> {
    crate::api::serve("orders/place", |state| async move {
        Ok(state.desk.place(&ticket).await?)
    })
    .await
}

/// `POST /api/orders/cancel`: asks the broker to cancel an open order.
#[server(endpoint = "orders/cancel")]
pub async fn cancel_order(id: i64) -> Result<OrderIntent, AppError> {
    crate::api::serve("orders/cancel", |state| async move {
        Ok(state.desk.cancel(id).await?)
    })
    .await
}

/// `POST /api/orders/modify` (JSON `{"id": 7, "change": {...}}`): changes an open order's
/// quantity and pricing. Every wrong field is named and nothing is sent; a refusal by the risk
/// limits or the broker says why, and the order stays as it was.
#[server(endpoint = "orders/modify", input = leptos::server_fn::codec::Json)]
pub async fn modify_order(id: i64, change: OrderChange) -> Result<OrderIntent, AppError> {
    crate::api::serve("orders/modify", |state| async move {
        Ok(state.desk.modify(id, &change).await?)
    })
    .await
}
