//! `StateChange`: which part of what a server process keeps in memory another process just
//! changed in the store. When the web processes and the workers run apart, every write a web
//! process makes is announced, and the processes that hold that part read it again.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StateChange {
    /// Levels were created, edited, enabled or disabled, deleted or restored.
    Levels,
    /// Local price alerts were created, edited, enabled or disabled, or deleted.
    Alerts,
    /// The risk limits or the kill switch.
    Risk,
    /// An order was recorded for the worker holding the trading lease to send.
    Orders,
    /// The Kite app or its session (Connect Kite, a disconnect).
    KiteSession,
    /// A new instruments list was stored (the daily download).
    Instruments,
    /// Something the toasts and the notification centre show was recorded (a trigger, a fill,
    /// a closed trade, an alert firing): web processes read the activity feed now.
    Activity,
}

impl StateChange {
    pub const ALL: [StateChange; 7] = [
        StateChange::Levels,
        StateChange::Alerts,
        StateChange::Risk,
        StateChange::Orders,
        StateChange::KiteSession,
        StateChange::Instruments,
        StateChange::Activity,
    ];

    pub fn label(self) -> &'static str {
        match self {
            StateChange::Levels => "levels",
            StateChange::Alerts => "alerts",
            StateChange::Risk => "risk",
            StateChange::Orders => "orders",
            StateChange::KiteSession => "kite-session",
            StateChange::Instruments => "instruments",
            StateChange::Activity => "activity",
        }
    }
}
