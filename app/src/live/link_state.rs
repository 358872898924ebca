use serde::{Deserialize, Serialize};

/// The state of the browser's link to the live stream, as the connection indicator shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkState {
    /// Rendered on the server, or the first attempt is under way.
    Connecting,
    Live,
    /// The link dropped; the next attempt starts in `retry_in_ms`.
    Reconnecting {
        attempt: u32,
        retry_in_ms: u32,
    },
    /// The browser reports no network at all.
    Offline,
}

impl LinkState {
    /// A stable word for tests and styling.
    pub fn key(self) -> &'static str {
        match self {
            LinkState::Connecting => "connecting",
            LinkState::Live => "live",
            LinkState::Reconnecting { .. } => "reconnecting",
            LinkState::Offline => "offline",
        }
    }

    pub fn label(self) -> String {
        match self {
            LinkState::Connecting => "Connecting…".to_owned(),
            LinkState::Live => "Live".to_owned(),
            LinkState::Reconnecting { retry_in_ms, .. } => {
                format!("Reconnecting in {} s…", retry_in_ms.div_ceil(1000))
            }
            LinkState::Offline => "Offline".to_owned(),
        }
    }
}
