//! `BrokerOrder`: an order as the broker reports it, in domain terms.

use serde::{Deserialize, Serialize};

use super::{Exchange, OrderKind, OrderTag, Price, ProductKind};

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

/// A net position as the broker holds it for the account: one instrument and product, however
/// its orders were placed (through this app or not).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerPosition {
    pub exchange: Exchange,
    pub tradingsymbol: String,
    /// `None` where the venue keeps one position per instrument whatever the product (the
    /// paper broker).
    pub product: Option<ProductKind>,
    /// Units held: positive long, negative short, zero closed.
    pub quantity: i64,
    pub average_price: Price,
    /// The average price of today's sells and buys on it, when there were some: the price a
    /// position closed outside the app was closed at.
    pub sold_average: Option<Price>,
    pub bought_average: Option<Price>,
}

impl BrokerPosition {
    /// Whether this is the position an order on `exchange:tradingsymbol` with `product` moves.
    pub fn holds(&self, exchange: Exchange, tradingsymbol: &str, product: ProductKind) -> bool {
        self.exchange == exchange
            && self.tradingsymbol == tradingsymbol
            && self.product.is_none_or(|p| p == product)
    }
}

/// What the broker says orders would need against what the account has (Kite's order-margins
/// and funds): the app refuses an entry the account cannot afford before it is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarginNeed {
    /// The margin the orders need together (charges included), with the broker's netting.
    pub required: Price,
    /// What the account's segment has available now.
    pub available: Price,
}

impl MarginNeed {
    /// How much is missing, when the account cannot afford it.
    pub fn shortfall(&self) -> Option<Price> {
        self.required
            .checked_sub(self.available)
            .filter(|short| *short > Price::ZERO)
    }
}
