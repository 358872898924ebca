//! `BusStatus`: the event bus as an operator reads it on the System card — in-process, or the
//! Redis bus between processes with its counters and the other processes heard on it.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusStatus {
    /// `in-process` (one process alone) or `redis`.
    pub kind: String,
    /// `redis://host:port` without credentials; empty in process.
    pub address: String,
    /// What this process runs: `web and workers`, `web only`, `workers only`.
    pub role: String,
    pub connected: bool,
    pub last_error: Option<String>,
    pub published: u64,
    pub received: u64,
    pub dropped: u64,
    /// The other processes heard in the last few seconds (workers processes announce
    /// themselves; web processes only listen).
    pub peers: Vec<BusPeer>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusPeer {
    /// Where it listens (its /health), as it says.
    pub label: String,
    pub role: String,
    /// Whether its Kite ticker is the connected one.
    pub feed: bool,
    /// When it was last heard (Unix ms).
    pub heard_ms: i64,
}
