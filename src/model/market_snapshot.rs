//! `MarketSnapshot`: the latest quote of every streamed instrument at one moment. It is what a
//! browser needs to draw the market watch, and what a slow client receives instead of a backlog.

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
