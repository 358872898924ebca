//! `Confirmation`: how a level's crossing is confirmed before it triggers (whipsaw filters).
//! The trend detector (`services::trading::trend`) implements each as a strategy.

use serde::{Deserialize, Serialize};

use super::Price;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Confirmation {
    /// The tick that crosses triggers.
    Cross,
    /// `count` ticks in a row beyond the level (the crossing tick is the first).
    Ticks { count: u32 },
    /// A tick still beyond the level at least `seconds` after the crossing.
    Seconds { seconds: u32 },
    /// A tick at least `distance` beyond the level.
    Buffer { distance: Price },
}
