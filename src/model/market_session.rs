//! `MarketSession`: whether an exchange is trading now, and when that changes.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketSession {
    pub open: bool,
    /// Why, in a few words: `closes 15:30 IST`, `weekend`, `holiday`, `simulated, open 24×7`.
    pub detail: String,
}
