//! `WorkerState`: how one background worker (the trading worker, the paper matcher, …) stands,
//! as its supervisor reports it to `/ready` and the Settings page.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkerPhase {
    Running,
    /// Waiting for the lease another server process holds (a hot standby): it takes over when
    /// that lease lapses.
    Standby,
    /// Running, but it sends orders and the broker session has ended (Kite's token expired or
    /// was disconnected): it sends nothing until Kite is connected again. `note` says why.
    Paused,
    /// It stopped unexpectedly (an error or a panic) and starts again after a back-off.
    Restarting,
    /// It stopped too often in a row and is no longer started; an admin can start it again.
    Failed,
    /// Stopped on purpose (the server is shutting down).
    Stopped,
}

impl WorkerPhase {
    pub fn label(self) -> &'static str {
        match self {
            WorkerPhase::Running => "running",
            WorkerPhase::Standby => "standby",
            WorkerPhase::Paused => "paused",
            WorkerPhase::Restarting => "restarting",
            WorkerPhase::Failed => "failed",
            WorkerPhase::Stopped => "stopped",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerState {
    pub name: String,
    pub phase: WorkerPhase,
    /// Unexpected stops since the server started.
    pub restarts: u32,
    /// Why it last stopped unexpectedly, in words for an operator.
    pub last_error: Option<String>,
    /// When it entered its phase (Unix ms).
    pub since_ms: i64,
    /// Why it is paused, in words for an operator.
    #[serde(default)]
    pub note: Option<String>,
}

impl WorkerState {
    /// Ready for `/ready`: running, a standby waiting its turn for the lease, or paused until
    /// Kite is connected again (the process is well; a person has to log in to Kite, and
    /// restarting the process would not help).
    pub fn is_ready(&self) -> bool {
        matches!(
            self.phase,
            WorkerPhase::Running | WorkerPhase::Standby | WorkerPhase::Paused
        )
    }
}
