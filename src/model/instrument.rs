//! `Instrument`: one tradable contract as Kite's instruments dump describes it.

use serde::{Deserialize, Serialize};

use super::{Exchange, Price};

/// Kite's numeric id of an instrument, used by the ticker and the quote APIs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InstrumentToken(pub u32);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instrument {
    pub token: InstrumentToken,
    pub exchange_token: u32,
    pub tradingsymbol: String,
    pub name: String,
    pub exchange: Exchange,
    /// Kite's segment, e.g. `NSE`, `NFO-OPT`, `INDICES`.
    pub segment: String,
    /// Kite's instrument type: `EQ`, `FUT`, `CE`, `PE`.
    pub instrument_type: String,
    pub tick_size: Price,
    pub lot_size: u32,
    /// Expiry date as `YYYY-MM-DD`, for derivatives.
    pub expiry: Option<String>,
    pub strike: Price,
}

impl Instrument {
    /// `NSE:INFY`, the form Kite's quote APIs take.
    pub fn key(&self) -> String {
        format!("{}:{}", self.exchange, self.tradingsymbol)
    }

    /// Indices stream prices but cannot be ordered.
    pub fn is_tradable(&self) -> bool {
        self.segment != "INDICES"
    }
}
