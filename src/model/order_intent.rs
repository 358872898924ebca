//! `OrderIntent`: an order the platform decided to place, recorded before the broker is called
//! (so a crash can never lose or duplicate it), and its life after that.

use serde::{Deserialize, Serialize};

use super::{LevelId, OrderRequest, Price, TradeId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentState {
    /// Recorded; the broker may or may not have it (a send can be in flight or its answer lost).
    Pending,
    /// The broker accepted it and gave an order id.
    Placed,
    PartiallyFilled,
    Filled,
    Rejected,
    Cancelled,
}

impl IntentState {
    /// The state's name as stored and labelled in metrics (`partially_filled`, …).
    pub fn code(self) -> &'static str {
        match self {
            IntentState::Pending => "pending",
            IntentState::Placed => "placed",
            IntentState::PartiallyFilled => "partially_filled",
            IntentState::Filled => "filled",
            IntentState::Rejected => "rejected",
            IntentState::Cancelled => "cancelled",
        }
    }

    pub fn is_final(self) -> bool {
        matches!(
            self,
            IntentState::Filled | IntentState::Rejected | IntentState::Cancelled
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderIntent {
    pub id: i64,
    /// The level whose trigger made it, if any (manual and exit orders have none).
    pub level: Option<LevelId>,
    /// The trade this order exits, for an exit order (`None`: it opens a trade).
    #[serde(default)]
    pub closes: Option<TradeId>,
    /// An exit of units the broker holds outside the app's trades (the Account page's Exit on
    /// an outside position): it opens no trade and closes none, and like every exit it is
    /// never refused by the risk limits or the kill switch.
    #[serde(default)]
    pub outside_exit: bool,
    /// Carries the unique tag the broker echoes back.
    pub request: OrderRequest,
    pub state: IntentState,
    pub broker_order_id: Option<String>,
    pub filled_quantity: u32,
    pub average_price: Option<Price>,
    /// Why it was rejected or cancelled, in the broker's words or ours.
    pub reason: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

impl OrderIntent {
    /// Whether it opens (or adds to) a position: neither a trade's exit nor an outside exit.
    pub fn is_entry(&self) -> bool {
        self.closes.is_none() && !self.outside_exit
    }
}
