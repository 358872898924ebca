//! The direction of a price crossing a level, and which crossings a level reacts to.

use serde::{Deserialize, Serialize};

/// Which way the price went through a level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From below the level to at or above it.
    Up,
    /// From above the level to at or below it.
    Down,
}

/// The crossings a level triggers on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LevelTrigger {
    Up,
    Down,
    Either,
}

impl LevelTrigger {
    pub fn accepts(self, direction: Direction) -> bool {
        matches!(
            (self, direction),
            (LevelTrigger::Either, _)
                | (LevelTrigger::Up, Direction::Up)
                | (LevelTrigger::Down, Direction::Down)
        )
    }
}
