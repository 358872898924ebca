//! `MarketSnapshot`: the quote of every instrument of a (simulated) market at one moment; the
//! demo market's walk produces them and the Kite simulator matches orders against them.

use serde::{Deserialize, Serialize};

use super::{InstrumentToken, Quote};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketSnapshot {
    /// Increases by one with every update of the feed; a client can tell it missed some.
    pub seq: u64,
    pub quotes: Vec<Quote>,
}

impl MarketSnapshot {
    pub fn quote(&self, token: InstrumentToken) -> Option<&Quote> {
        self.quotes.iter().find(|q| q.tick.token == token)
    }
}
