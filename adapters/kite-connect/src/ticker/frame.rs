//! Decoding: a frame is an int16 packet count, then per packet an int16 length and the packet
//! (big-endian). A one-byte frame is a heartbeat. Packet sizes: 8 (LTP), 28 (index quote),
//! 32 (index full), 44 (quote), 184 (full with 5 + 5 depth).

use osp_core::model::{InstrumentToken, Ohlc, Price};

use super::packet::{Depth, DepthLevel, TickerMode, TickerPacket};
use super::segment::Segment;

pub(super) const LTP_LEN: usize = 8;
pub(super) const INDEX_QUOTE_LEN: usize = 28;
pub(super) const INDEX_FULL_LEN: usize = 32;
pub(super) const QUOTE_LEN: usize = 44;
pub(super) const FULL_LEN: usize = 184;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("empty frame")]
    Empty,
    #[error("frame truncated at byte {at}: {needed} more bytes needed, {available} left")]
    Truncated {
        at: usize,
        needed: usize,
        available: usize,
    },
    #[error("a packet of {0} bytes matches no ticker mode (8, 28, 32, 44 or 184)")]
    UnknownPacketLength(usize),
    #[error("{0} bytes after the last packet")]
    TrailingBytes(usize),
}

/// What one binary websocket message holds.
#[derive(Debug)]
pub enum Frame<'a> {
    /// Kite's keep-alive: one byte, no data.
    Heartbeat,
    Packets(Packets<'a>),
}

/// Parses the frame header. Packets decode lazily as the iterator is advanced; the first
/// malformed one ends it with an error.
pub fn parse_frame(bytes: &[u8]) -> Result<Frame<'_>, FrameError> {
    match bytes.len() {
        0 => Err(FrameError::Empty),
        1 => Ok(Frame::Heartbeat),
        _ => {
            let count = u16::from_be_bytes([bytes[0], bytes[1]]);
            Ok(Frame::Packets(Packets {
                bytes,
                offset: 2,
                remaining: count,
                failed: false,
            }))
        }
    }
}

#[derive(Debug)]
pub struct Packets<'a> {
    bytes: &'a [u8],
    offset: usize,
    remaining: u16,
    failed: bool,
}

impl Packets<'_> {
    /// Packets the header promises that have not been read yet.
    pub fn remaining(&self) -> u16 {
        self.remaining
    }

    fn take(&mut self, len: usize) -> Result<&[u8], FrameError> {
        let available = self.bytes.len() - self.offset;
        if available < len {
            return Err(FrameError::Truncated {
                at: self.offset,
                needed: len,
                available,
            });
        }
        let slice = &self.bytes[self.offset..self.offset + len];
        self.offset += len;
        Ok(slice)
    }

    fn next_packet(&mut self) -> Result<TickerPacket, FrameError> {
        let len_bytes = self.take(2)?;
        let len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
        let packet = self.take(len)?;
        parse_packet(packet)
    }
}

impl Iterator for Packets<'_> {
    type Item = Result<TickerPacket, FrameError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        if self.remaining == 0 {
            let trailing = self.bytes.len() - self.offset;
            if trailing > 0 {
                self.failed = true;
                return Some(Err(FrameError::TrailingBytes(trailing)));
            }
            return None;
        }
        self.remaining -= 1;
        let result = self.next_packet();
        self.failed = result.is_err();
        Some(result)
    }
}

// Readers over fixed-size arrays: with the packet's length known at compile time and the
// offsets constant, the compiler proves every read in range and drops the bounds checks.
#[inline(always)]
fn u32_at<const N: usize>(b: &[u8; N], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[inline(always)]
fn u16_at<const N: usize>(b: &[u8; N], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// Decodes one packet (without its length prefix). Each mode reads a fixed-size array whose
/// length the `match` established, so no read can go out of range.
pub fn parse_packet(b: &[u8]) -> Result<TickerPacket, FrameError> {
    match b.len() {
        LTP_LEN => Ok(ltp(fixed::<LTP_LEN>(b))),
        INDEX_QUOTE_LEN => Ok(index(fixed::<INDEX_QUOTE_LEN>(b), None)),
        INDEX_FULL_LEN => {
            let b = fixed::<INDEX_FULL_LEN>(b);
            Ok(index(b, Some(u32_at(b, 28))))
        }
        QUOTE_LEN => Ok(quote(fixed::<QUOTE_LEN>(b))),
        FULL_LEN => Ok(full(fixed::<FULL_LEN>(b))),
        other => Err(FrameError::UnknownPacketLength(other)),
    }
}

/// `b` as an array of the length the caller matched on.
#[inline(always)]
fn fixed<const N: usize>(b: &[u8]) -> &[u8; N] {
    // The callers match `b.len()` against N first, so this never fails; the fallback keeps
    // the function total without a panic path.
    b.try_into().unwrap_or(&[0; N])
}

#[inline(always)]
fn ltp<const N: usize>(b: &[u8; N]) -> TickerPacket {
    let token = InstrumentToken(u32_at(b, 0));
    TickerPacket::ltp(token, Segment::of(token).price_from_wire(u32_at(b, 4)))
}

fn index<const N: usize>(b: &[u8; N], exchange_time: Option<u32>) -> TickerPacket {
    let mut packet = ltp(b);
    let segment = Segment::of(packet.token);
    let price = |at: usize| segment.price_from_wire(u32_at(b, at));
    packet.mode = if exchange_time.is_some() {
        TickerMode::Full
    } else {
        TickerMode::Quote
    };
    packet.ohlc = Ohlc {
        high: price(8),
        low: price(12),
        open: price(16),
        close: price(20),
    };
    // Signed on the wire (a falling index), in paise like every index price.
    let change = i64::from(u32_at(b, 24) as i32);
    packet.index_change = Some(Price::from_raw(change * (Price::SCALE / 100)));
    packet.exchange_time = exchange_time;
    packet
}

#[inline(always)]
fn quote<const N: usize>(b: &[u8; N]) -> TickerPacket {
    let mut packet = ltp(b);
    let segment = Segment::of(packet.token);
    let price = |at: usize| segment.price_from_wire(u32_at(b, at));
    packet.mode = TickerMode::Quote;
    packet.last_quantity = u32_at(b, 8);
    packet.average_price = price(12);
    packet.volume = u32_at(b, 16);
    packet.buy_quantity = u32_at(b, 20);
    packet.sell_quantity = u32_at(b, 24);
    packet.ohlc = Ohlc {
        open: price(28),
        high: price(32),
        low: price(36),
        close: price(40),
    };
    packet
}

fn full(b: &[u8; FULL_LEN]) -> TickerPacket {
    let mut packet = quote(b);
    let segment = Segment::of(packet.token);
    packet.mode = TickerMode::Full;
    packet.last_trade_time = Some(u32_at(b, 44));
    packet.oi = u32_at(b, 48);
    packet.oi_day_high = u32_at(b, 52);
    packet.oi_day_low = u32_at(b, 56);
    packet.exchange_time = Some(u32_at(b, 60));
    let level = |at: usize| DepthLevel {
        quantity: u32_at(b, at),
        price: segment.price_from_wire(u32_at(b, at + 4)),
        orders: u16_at(b, at + 8),
    };
    let mut depth = Depth::default();
    for i in 0..5 {
        depth.buy[i] = level(64 + i * 12);
        depth.sell[i] = level(124 + i * 12);
    }
    packet.depth = Some(depth);
    packet
}
