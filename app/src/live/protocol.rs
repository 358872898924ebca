//! Messages on the price websocket. JSON text frames, one message each.

use osp_core::model::MarketSnapshot;
use serde::{Deserialize, Serialize};

/// Where browsers open the price stream.
pub const PRICES_WS_PATH: &str = "/ws/prices";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The latest quotes. Sent on connect and after every update, at most as fast as the client
    /// reads (older snapshots are dropped, never queued).
    Snapshot { snapshot: MarketSnapshot },
}
