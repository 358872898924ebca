//! `TradingMode`: where market data comes from and where orders go. Shown in the status area of
//! every page; chosen once at start-up.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TradingMode {
    /// Simulated market and fills; needs nothing.
    Demo,
    /// Live market data, simulated fills; never a live order.
    Paper,
    /// Live market data and live orders.
    Live,
}

impl TradingMode {
    pub fn label(self) -> &'static str {
        match self {
            TradingMode::Demo => "DEMO",
            TradingMode::Paper => "PAPER",
            TradingMode::Live => "LIVE",
        }
    }
}

impl fmt::Display for TradingMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}
