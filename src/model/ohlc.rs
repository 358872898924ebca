//! `Ohlc`: open, high, low and close of a period (for a tick: the day, `close` being the
//! previous session's close, as Kite sends it).

use serde::{Deserialize, Serialize};

use super::Price;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ohlc {
    pub open: Price,
    pub high: Price,
    pub low: Price,
    pub close: Price,
}

impl Ohlc {
    /// The day so far after one more trade at `price`.
    pub fn with_trade(self, price: Price) -> Ohlc {
        Ohlc {
            high: self.high.max(price),
            low: self.low.min(price),
            ..self
        }
    }
}
