//! The trading engine's rules. So far: the order intent's transitions and reconciliation (the
//! exactly-once core), what makes a level valid, the level index (which levels a price move
//! crossed), the trend detector (whether a crossing is confirmed) and the level monitor that
//! combines them so each crossing triggers at most once per arm. The order executor (with its
//! intent store) and the paper broker exist; the trade monitor, risk checks and their wiring
//! follow (issue 5).

mod executor;
mod intents;
mod level_index;
mod level_monitor;
mod level_orders;
mod level_rules;
mod paper_broker;
mod trend;

pub use executor::{ExecError, OrderExecutor};
pub use intents::{IntentError, IntentEvent, Reconciliation, advance, reconcile};
pub use level_index::{Crossed, LevelId, LevelIndex};
pub use level_monitor::{LevelEvent, LevelMonitor, LevelSpec, LevelState};
pub use level_orders::{exit_prices, order_for};
pub use level_rules::{LevelProblem, MAX_NOTE_CHARS, level_problems};
pub use paper_broker::PaperBroker;
pub use trend::{TrendRule, Verdict, Watch, judge, rule_for};
