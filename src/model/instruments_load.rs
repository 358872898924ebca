//! `InstrumentsLoad`: where the daily load of the instruments master stands, for the UI.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum InstrumentsLoad {
    /// Nothing loaded yet in this process.
    Waiting,
    Downloading,
    /// Writing to the database: `done` of `total` rows.
    Storing {
        done: usize,
        total: usize,
    },
    /// `count` instruments searchable, loaded at `at_ms` (Unix ms); `skipped` odd rows.
    Ready {
        count: usize,
        skipped: usize,
        at_ms: i64,
    },
    /// The last load failed; `count` instruments from an earlier load are still searchable.
    Failed {
        reason: String,
        count: usize,
    },
}

impl InstrumentsLoad {
    /// One line for a status area.
    pub fn summary(&self) -> String {
        match self {
            InstrumentsLoad::Waiting => "waiting to load".to_owned(),
            InstrumentsLoad::Downloading => "downloading Kite's instruments list…".to_owned(),
            InstrumentsLoad::Storing { done, total } => {
                let percent = if *total == 0 { 100 } else { done * 100 / total };
                format!("storing {done} of {total} ({percent}%)")
            }
            InstrumentsLoad::Ready { count, skipped, .. } if *skipped > 0 => {
                format!("{count} instruments ({skipped} unreadable rows skipped)")
            }
            InstrumentsLoad::Ready { count, .. } => format!("{count} instruments"),
            InstrumentsLoad::Failed { reason, count } => {
                format!("load failed ({reason}); {count} instruments from the last load")
            }
        }
    }
}
