//! `BrokerOrder`: an order as the broker reports it, in domain terms.

use serde::{Deserialize, Serialize};

use super::{OrderKind, OrderTag, Price};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Received, not yet at the exchange (Kite's transitional statuses).
    Pending,
    Open,
    TriggerPending,
    Complete,
    Cancelled,
    Rejected,
}

impl OrderStatus {
    /// No further fills or changes can happen.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            OrderStatus::Complete | OrderStatus::Cancelled | OrderStatus::Rejected
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerOrder {
    pub order_id: String,
    pub tag: Option<OrderTag>,
    pub status: OrderStatus,
    pub quantity: u32,
    /// How it is priced now (a modification changes it); `None` when the broker's order type
    /// is not one the platform places.
    #[serde(default)]
    pub kind: Option<OrderKind>,
    pub filled_quantity: u32,
    /// Average fill price, once something filled.
    pub average_price: Option<Price>,
    /// The broker's reason, for a rejection.
    pub status_message: Option<String>,
}
