//! `OrderRequest`: an order the platform wants placed, in domain terms. A broker adapter
//! (Kite, or the paper broker) turns it into its own wire format.

use serde::{Deserialize, Serialize};

use super::{Exchange, OrderSide, OrderTag, Price};

/// How the order is priced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OrderKind {
    Market,
    Limit {
        price: Price,
    },
    /// Becomes a LIMIT at `price` once the market touches `trigger`.
    StopLoss {
        trigger: Price,
        price: Price,
    },
    /// Becomes a MARKET order once the market touches `trigger`.
    StopLossMarket {
        trigger: Price,
    },
}

/// How long the position may be held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductKind {
    /// Squared off the same day (Kite MIS).
    Intraday,
    /// Equity delivery (Kite CNC).
    Delivery,
    /// Derivatives carried overnight (Kite NRML).
    CarryForward,
}

impl ProductKind {
    /// Kite's name for it, as traders know it.
    pub fn kite_name(self) -> &'static str {
        match self {
            ProductKind::Intraday => "MIS",
            ProductKind::Delivery => "CNC",
            ProductKind::CarryForward => "NRML",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRequest {
    pub exchange: Exchange,
    pub tradingsymbol: String,
    pub side: OrderSide,
    pub quantity: u32,
    pub kind: OrderKind,
    pub product: ProductKind,
    pub tag: OrderTag,
}
