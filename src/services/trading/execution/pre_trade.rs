//! `PreTradeCheck`: what the executor asks before any order reaches the broker. The executor
//! cannot be built without one; the risk gate (`risk::RiskGate`) is the one the app uses.

use async_trait::async_trait;

use crate::model::{OrderIntent, OrderRequest};

/// Asked by the executor before an order is sent; `Err` carries the reason, in words the trader
/// understands, and the order is refused without reaching the broker.
#[async_trait]
pub trait PreTradeCheck: Send + Sync {
    async fn check(&self, intent: &OrderIntent) -> Result<(), String>;
    /// Asked before open order `intent` is changed to its request (already the new one).
    async fn check_change(&self, intent: &OrderIntent) -> Result<(), String>;
    /// Asked before the broker is given `orders` to place on its own later (an ATO alert's
    /// basket, sent by Kite when the alert fires, without asking this app again): the kill
    /// switch and each order's own limits now. Nothing reaches the broker if it says no.
    async fn check_standing(&self, orders: &[OrderRequest]) -> Result<(), String>;
    /// Whether the kill switch is on now: orders the broker holds to place on its own must
    /// leave its hands. `Err` when that cannot be known.
    async fn halted(&self) -> Result<bool, String>;
}
