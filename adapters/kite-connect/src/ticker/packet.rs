//! One decoded ticker packet: every field Kite sends, in domain units. `Copy`, fixed size: a
//! frame decodes without a heap allocation.

pub use osp_core::model::{Depth, DepthLevel};
use osp_core::model::{InstrumentToken, Ohlc, Price, Tick};

/// How much Kite sends for an instrument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TickerMode {
    Ltp,
    Quote,
    Full,
}

impl TickerMode {
    /// The word Kite's `mode` message uses.
    pub fn as_str(self) -> &'static str {
        match self {
            TickerMode::Ltp => "ltp",
            TickerMode::Quote => "quote",
            TickerMode::Full => "full",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TickerPacket {
    pub token: InstrumentToken,
    pub mode: TickerMode,
    /// Indices (segment 9) are not tradable and use their own, shorter packets.
    pub is_index: bool,
    pub last_price: Price,
    pub last_quantity: u32,
    pub average_price: Price,
    pub volume: u32,
    pub buy_quantity: u32,
    pub sell_quantity: u32,
    /// `close` is the previous session's close.
    pub ohlc: Ohlc,
    /// The change field of index packets, as sent. `change()` computes it for every packet.
    pub index_change: Option<Price>,
    /// Unix seconds (full mode).
    pub last_trade_time: Option<u32>,
    pub oi: u32,
    pub oi_day_high: u32,
    pub oi_day_low: u32,
    /// Unix seconds (full mode).
    pub exchange_time: Option<u32>,
    pub depth: Option<Depth>,
}

impl TickerPacket {
    /// A packet with only a last price; the other fields zero. What LTP mode carries.
    pub fn ltp(token: InstrumentToken, last_price: Price) -> TickerPacket {
        TickerPacket {
            token,
            mode: TickerMode::Ltp,
            is_index: super::Segment::of(token) == super::Segment::Indices,
            last_price,
            last_quantity: 0,
            average_price: Price::ZERO,
            volume: 0,
            buy_quantity: 0,
            sell_quantity: 0,
            ohlc: Ohlc::default(),
            index_change: None,
            last_trade_time: None,
            oi: 0,
            oi_day_high: 0,
            oi_day_low: 0,
            exchange_time: None,
            depth: None,
        }
    }

    pub fn is_tradable(&self) -> bool {
        !self.is_index
    }

    /// Change from the previous close (LTP mode has no close).
    pub fn change(&self) -> Option<Price> {
        if self.mode == TickerMode::Ltp {
            return None;
        }
        self.last_price.checked_sub(self.ohlc.close)
    }

    /// The core's tick. `received_ms` stands in for the exchange time when the packet has none.
    pub fn to_tick(&self, received_ms: i64) -> Tick {
        Tick {
            token: self.token,
            last_price: self.last_price,
            last_quantity: self.last_quantity,
            volume: u64::from(self.volume),
            ohlc: self.ohlc,
            exchange_time_ms: self
                .exchange_time
                .map(|s| i64::from(s) * 1000)
                .unwrap_or(received_ms),
            depth: self.depth,
        }
    }
}
