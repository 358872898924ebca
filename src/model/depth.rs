//! `Depth`: the five best bids and offers of an instrument (Kite's full-mode market depth).

use serde::{Deserialize, Serialize};

use super::Price;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepthLevel {
    pub quantity: u32,
    pub price: Price,
    pub orders: u16,
}

/// Five best bids and five best offers, best first; empty levels are zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Depth {
    pub buy: [DepthLevel; 5],
    pub sell: [DepthLevel; 5],
}

impl Depth {
    /// The best bid, if anyone is bidding.
    pub fn best_bid(&self) -> Option<DepthLevel> {
        Some(self.buy[0]).filter(|l| l.quantity > 0)
    }

    /// The best offer, if anyone is offering.
    pub fn best_ask(&self) -> Option<DepthLevel> {
        Some(self.sell[0]).filter(|l| l.quantity > 0)
    }
}
