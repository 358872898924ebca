//! `Tick`: one immutable market-data update for one instrument, as the ticker delivers it.

use serde::{Deserialize, Serialize};

use super::{Depth, InstrumentToken, Ohlc, Price};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tick {
    pub token: InstrumentToken,
    pub last_price: Price,
    pub last_quantity: u32,
    /// Volume traded today.
    pub volume: u64,
    /// Today's open/high/low and the previous session's close.
    pub ohlc: Ohlc,
    /// Exchange time of the update, milliseconds since the Unix epoch.
    pub exchange_time_ms: i64,
    /// Five levels of bids and offers, when the feed sends them (full mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth: Option<Depth>,
}

impl Tick {
    /// Change from the previous close.
    pub fn change(&self) -> Option<Price> {
        self.last_price.checked_sub(self.ohlc.close)
    }

    /// Change from the previous close in basis points; `None` without a previous close.
    /// `+1.23%` from the previous close, or `—` without one.
    pub fn change_percent_text(&self) -> String {
        self.change_basis_points()
            .map(crate::format::percent_from_basis_points)
            .unwrap_or_else(|| "—".to_owned())
    }

    pub fn change_basis_points(&self) -> Option<i64> {
        self.last_price.change_basis_points(self.ohlc.close)
    }
}
