//! The trading engine's rules. So far: the level index (which levels a price move crossed),
//! the trend detector (whether a crossing is confirmed) and the level monitor that combines
//! them so each crossing triggers at most once per arm. The order executor, trade monitor and
//! paper broker follow (issue 5).

mod level_index;
mod level_monitor;
mod trend;

pub use level_index::{Crossed, LevelId, LevelIndex};
pub use level_monitor::{LevelEvent, LevelMonitor, LevelSpec, LevelState};
pub use trend::{TrendRule, Verdict, Watch, judge, rule_for};
