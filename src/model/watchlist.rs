//! `Watchlist`: a named, ordered list of instruments a trader follows.

use serde::{Deserialize, Serialize};

use super::{Exchange, InstrumentToken};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchlistItem {
    pub token: InstrumentToken,
    pub exchange: Exchange,
    /// Kept with the item so it still reads right after its contract expires.
    pub tradingsymbol: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watchlist {
    pub id: i64,
    pub name: String,
    pub items: Vec<WatchlistItem>,
}
