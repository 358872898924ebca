//! Market data over REST: quote, ohlc, ltp (keyed by `EXCHANGE:TRADINGSYMBOL`) and historical
//! candles.

use std::collections::BTreeMap;

use osp_core::model::Price;
use serde::de::{self, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::common::decimal;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OhlcValues {
    #[serde(with = "decimal::price")]
    pub open: Price,
    #[serde(with = "decimal::price")]
    pub high: Price,
    #[serde(with = "decimal::price")]
    pub low: Price,
    #[serde(with = "decimal::price")]
    pub close: Price,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LtpQuote {
    pub instrument_token: u32,
    #[serde(with = "decimal::price")]
    pub last_price: Price,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OhlcQuote {
    pub instrument_token: u32,
    #[serde(with = "decimal::price")]
    pub last_price: Price,
    pub ohlc: OhlcValues,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepthEntry {
    #[serde(with = "decimal::price")]
    pub price: Price,
    pub quantity: i64,
    pub orders: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketDepth {
    pub buy: Vec<DepthEntry>,
    pub sell: Vec<DepthEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FullQuote {
    pub instrument_token: u32,
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(default)]
    pub last_trade_time: Option<String>,
    #[serde(with = "decimal::price")]
    pub last_price: Price,
    #[serde(default)]
    pub last_quantity: i64,
    #[serde(default)]
    pub buy_quantity: i64,
    #[serde(default)]
    pub sell_quantity: i64,
    #[serde(default)]
    pub volume: i64,
    #[serde(with = "decimal::price", default)]
    pub average_price: Price,
    #[serde(default)]
    pub oi: i64,
    #[serde(default)]
    pub oi_day_high: i64,
    #[serde(default)]
    pub oi_day_low: i64,
    #[serde(with = "decimal::price", default)]
    pub net_change: Price,
    #[serde(with = "decimal::price", default)]
    pub lower_circuit_limit: Price,
    #[serde(with = "decimal::price", default)]
    pub upper_circuit_limit: Price,
    pub ohlc: OhlcValues,
    #[serde(default)]
    pub depth: Option<MarketDepth>,
}

/// Answers keyed by `EXCHANGE:TRADINGSYMBOL` (or by instrument token when asked that way).
pub type QuoteMap<T> = BTreeMap<String, T>;

/// One candle: Kite sends `[timestamp, open, high, low, close, volume(, oi)]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candle {
    /// `2017-12-15T09:15:00+0530`
    pub timestamp: String,
    pub open: Price,
    pub high: Price,
    pub low: Price,
    pub close: Price,
    pub volume: i64,
    pub oi: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candles {
    pub candles: Vec<Candle>,
}

impl Serialize for Candle {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(if self.oi.is_some() { 7 } else { 6 }))?;
        seq.serialize_element(&self.timestamp)?;
        for p in [self.open, self.high, self.low, self.close] {
            seq.serialize_element(&decimal::Number(p))?;
        }
        seq.serialize_element(&self.volume)?;
        if let Some(oi) = self.oi {
            seq.serialize_element(&oi)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Candle {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct CandleVisitor;
        struct P(Price);
        impl<'de> Deserialize<'de> for P {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                decimal::price::deserialize(d).map(P)
            }
        }
        impl<'de> Visitor<'de> for CandleVisitor {
            type Value = Candle;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("[timestamp, open, high, low, close, volume, oi?]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Candle, A::Error> {
                let missing = |i| de::Error::invalid_length(i, &self);
                let timestamp: String = seq.next_element()?.ok_or_else(|| missing(0))?;
                let open: P = seq.next_element()?.ok_or_else(|| missing(1))?;
                let high: P = seq.next_element()?.ok_or_else(|| missing(2))?;
                let low: P = seq.next_element()?.ok_or_else(|| missing(3))?;
                let close: P = seq.next_element()?.ok_or_else(|| missing(4))?;
                let volume: i64 = seq.next_element()?.ok_or_else(|| missing(5))?;
                let oi: Option<i64> = seq.next_element()?;
                Ok(Candle {
                    timestamp,
                    open: open.0,
                    high: high.0,
                    low: low.0,
                    close: close.0,
                    volume,
                    oi,
                })
            }
        }
        d.deserialize_seq(CandleVisitor)
    }
}
