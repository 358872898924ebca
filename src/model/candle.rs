//! `Candle`: open, high, low, close and volume of one interval (1 minute for the live chart).

use serde::{Deserialize, Serialize};

use super::Price;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candle {
    /// Start of the interval, Unix milliseconds (a whole minute for 1-minute candles).
    pub start_ms: i64,
    pub open: Price,
    pub high: Price,
    pub low: Price,
    pub close: Price,
    /// Quantity traded within the interval.
    pub volume: u64,
}

impl Candle {
    /// A candle opened by one trade.
    pub fn opened_at(start_ms: i64, price: Price, volume: u64) -> Candle {
        Candle {
            start_ms,
            open: price,
            high: price,
            low: price,
            close: price,
            volume,
        }
    }

    /// The same interval after one more trade.
    pub fn with_trade(self, price: Price, volume: u64) -> Candle {
        Candle {
            high: self.high.max(price),
            low: self.low.min(price),
            close: price,
            volume: self.volume.saturating_add(volume),
            ..self
        }
    }

    pub fn is_up(&self) -> bool {
        self.close >= self.open
    }
}
