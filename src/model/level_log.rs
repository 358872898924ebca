//! `LevelLogEntry`: one immutable record in a level's audit log — a crossing, its confirmation
//! or cancellation, the order it placed (or why none was), a re-arm. Appended, never changed.

use serde::{Deserialize, Serialize};

use super::{Direction, LevelId, Price};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LevelLogKind {
    /// The price went through the level in a direction it triggers on.
    Crossed,
    /// The price went back through the level before the crossing was confirmed.
    Cancelled,
    /// The crossing was confirmed; the level is disarmed.
    Triggered,
    /// The trigger's order was recorded and sent; `detail` names the order and its state.
    OrderPlaced,
    /// The trigger placed no order; `detail` says why (refused, broker down, no order that way).
    OrderFailed,
    /// A confirmed crossing outside the level's active window: not traded, still armed.
    Skipped,
    /// Armed again by its re-arm policy.
    Rearmed,
}

impl LevelLogKind {
    pub fn label(self) -> &'static str {
        match self {
            LevelLogKind::Crossed => "crossed",
            LevelLogKind::Cancelled => "cancelled",
            LevelLogKind::Triggered => "triggered",
            LevelLogKind::OrderPlaced => "order placed",
            LevelLogKind::OrderFailed => "no order",
            LevelLogKind::Skipped => "skipped",
            LevelLogKind::Rearmed => "re-armed",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelLogEntry {
    /// 0 until stored.
    pub id: i64,
    pub level: LevelId,
    pub kind: LevelLogKind,
    pub direction: Option<Direction>,
    /// The price of the tick that caused it.
    pub price: Price,
    pub at_ms: i64,
    pub detail: String,
}
