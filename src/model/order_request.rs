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
    /// Kite's GTT (good till triggered): held at the broker across days, not a day order,
    /// until the market touches a leg's trigger; that leg is then placed as a LIMIT at its
    /// price. With a target it is Kite's two-leg GTT (OCO): whichever leg fires, the other is
    /// gone. Only the trade monitor places one, as a delivery or carry-forward trade's
    /// protection.
    Gtt {
        stop: GttLeg,
        target: Option<GttLeg>,
    },
}

/// One leg of a GTT: once the market touches `trigger`, a LIMIT order at `price` goes out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GttLeg {
    pub trigger: Price,
    pub price: Price,
}

impl OrderKind {
    /// The leg of a GTT exiting on `side` that the last price `ltp` fires, if any: a sell's
    /// stop at or below its trigger and its target at or above; a buy's the other way round.
    pub fn fired_leg(self, side: OrderSide, ltp: Price) -> Option<GttLeg> {
        let OrderKind::Gtt { stop, target } = self else {
            return None;
        };
        let sell = side == OrderSide::Sell;
        let stop_hit = if sell {
            ltp <= stop.trigger
        } else {
            ltp >= stop.trigger
        };
        if stop_hit {
            return Some(stop);
        }
        target.filter(|t| {
            if sell {
                ltp >= t.trigger
            } else {
                ltp <= t.trigger
            }
        })
    }
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
