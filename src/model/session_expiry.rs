//! The broker session has ended (Kite's access token expired, was invalidated, or was
//! disconnected): nothing is sent until the account is connected again.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionExpiry {
    /// Unix ms when it was noticed.
    pub since_ms: i64,
    /// What said so (the broker's message, or "disconnected").
    pub reason: String,
}
