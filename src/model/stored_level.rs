//! `StoredLevel`: a level as the database keeps it — its definition, whether it is armed, and
//! its last trigger. "Armed" is persisted so a restart never fires a crossing that already fired.

use serde::{Deserialize, Serialize};

use super::{Direction, Level, Price};

/// The crossing that last triggered a level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastTrigger {
    pub direction: Direction,
    pub price: Price,
    pub at_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredLevel {
    pub level: Level,
    /// `false` once triggered, until its re-arm policy arms it again.
    pub armed: bool,
    pub last_trigger: Option<LastTrigger>,
    pub created_ms: i64,
    pub updated_ms: i64,
}
