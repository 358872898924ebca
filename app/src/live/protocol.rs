//! Messages on the price websocket. JSON text frames, one message each.

use osp_core::model::{InstrumentToken, Tick};
use osp_core::services::activity::ActivityItem;
use serde::{Deserialize, Serialize};

/// Where browsers open the price stream.
pub const PRICES_WS_PATH: &str = "/ws/prices";

/// Instruments one connection may follow at once.
pub const MAX_FOLLOWED: usize = 200;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Stream exactly these instruments from now on (replaces the previous set). The latest
    /// tick of each is sent at once, then updates.
    Follow { tokens: Vec<InstrumentToken> },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The newest tick of each followed instrument that changed since the last batch: at most
    /// one batch per interval (the configured rate), older ticks of an instrument dropped,
    /// never queued.
    Ticks { ticks: Vec<Tick> },
    /// The last message could not be applied; nothing changed.
    Refused { message: String },
    /// What just happened (a level triggered, an order filled, an alert fired…), oldest
    /// first: for the toasts and the notification centre.
    Activity { items: Vec<ActivityItem> },
}
