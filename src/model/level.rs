//! `Level`: a price level a trader sets on an instrument, and what happens when the market
//! crosses it: which crossings trigger, the order per direction, the trade's exits, how the
//! crossing is confirmed, and when the level arms again.

use serde::{Deserialize, Serialize};

use super::{Confirmation, Exchange, InstrumentToken, LevelTrigger, OrderSide, Price, ProductKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LevelId(pub i64);

/// A distance from a price: in points (rupees) or in basis points of the price.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "unit", content = "value", rename_all = "snake_case")]
pub enum Distance {
    Points(Price),
    /// 100 = 1 %.
    BasisPoints(u32),
}

impl Distance {
    /// The distance from `base` in price terms (rounded down to the paisa grid).
    pub fn from_price(self, base: Price) -> Option<Price> {
        match self {
            Distance::Points(points) => Some(points),
            Distance::BasisPoints(bp) => {
                let raw = i128::from(base.raw()) * i128::from(bp) / 10_000;
                i64::try_from(raw).ok().map(Price::from_raw)
            }
        }
    }
}

/// The order a trigger places.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LevelOrderType {
    Market,
    /// A limit `offset` beyond the level in the order's favour-less direction (above for a buy,
    /// below for a sell), so it fills if the move continues.
    Limit {
        offset: Price,
    },
}

/// When a triggered level arms again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "policy", rename_all = "snake_case")]
pub enum Rearm {
    /// Never: one trigger, then the level is done.
    Once,
    /// After the price has moved `distance` away from the level.
    AfterMove { distance: Distance },
    /// At the next trading day's open.
    Daily,
}

/// The part of the day (IST, minutes after midnight) in which the level may trigger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveWindow {
    pub from_minute: u16,
    pub to_minute: u16,
}

impl ActiveWindow {
    pub fn contains(self, minute_of_day: u16) -> bool {
        (self.from_minute..self.to_minute).contains(&minute_of_day)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    pub id: LevelId,
    pub token: InstrumentToken,
    pub exchange: Exchange,
    pub tradingsymbol: String,
    pub price: Price,
    pub trigger: LevelTrigger,
    /// The order side when the price crosses upward (`None`: no order that way).
    pub on_up: Option<OrderSide>,
    pub on_down: Option<OrderSide>,
    pub quantity: u32,
    pub product: ProductKind,
    pub order: LevelOrderType,
    pub target: Option<Distance>,
    pub stop_loss: Option<Distance>,
    pub trailing_stop: Option<Distance>,
    pub confirmation: Confirmation,
    pub rearm: Rearm,
    pub window: Option<ActiveWindow>,
    pub enabled: bool,
    pub note: String,
}
