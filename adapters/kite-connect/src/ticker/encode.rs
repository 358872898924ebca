//! Encoding, the inverse of `frame`: what the simulator sends, byte for byte as Kite does.

use super::frame::{FULL_LEN, INDEX_FULL_LEN, INDEX_QUOTE_LEN, LTP_LEN, QUOTE_LEN};
use super::packet::{TickerMode, TickerPacket};
use super::segment::Segment;
use osp_core::model::Price;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("price {price} of instrument {token} cannot be sent in its segment's wire units")]
    Price { token: u32, price: Price },
    #[error("a frame holds at most 65535 packets, not {0}")]
    TooManyPackets(usize),
    #[error("a full-mode packet for instrument {0} has no depth")]
    MissingDepth(u32),
}

/// Appends one packet (without its length prefix) to `out`.
pub fn encode_packet(p: &TickerPacket, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let segment = Segment::of(p.token);
    let price = |value: Price| {
        segment.price_to_wire(value).ok_or(EncodeError::Price {
            token: p.token.0,
            price: value,
        })
    };
    let start = out.len();
    out.extend_from_slice(&p.token.0.to_be_bytes());
    out.extend_from_slice(&price(p.last_price)?.to_be_bytes());
    if p.mode == TickerMode::Ltp {
        debug_assert_eq!(out.len() - start, LTP_LEN);
        return Ok(());
    }
    if p.is_index {
        let change = p.index_change.or(p.change()).unwrap_or(Price::ZERO);
        for value in [p.ohlc.high, p.ohlc.low, p.ohlc.open, p.ohlc.close] {
            out.extend_from_slice(&price(value)?.to_be_bytes());
        }
        // The change can be negative; Kite sends it in the same unsigned field, wrapped.
        let raw = (change.raw() / (Price::SCALE / 100)) as i32 as u32;
        out.extend_from_slice(&raw.to_be_bytes());
        if p.mode == TickerMode::Full {
            out.extend_from_slice(&p.exchange_time.unwrap_or(0).to_be_bytes());
        }
        debug_assert!(matches!(
            out.len() - start,
            INDEX_QUOTE_LEN | INDEX_FULL_LEN
        ));
        return Ok(());
    }
    out.extend_from_slice(&p.last_quantity.to_be_bytes());
    out.extend_from_slice(&price(p.average_price)?.to_be_bytes());
    for value in [p.volume, p.buy_quantity, p.sell_quantity] {
        out.extend_from_slice(&value.to_be_bytes());
    }
    for value in [p.ohlc.open, p.ohlc.high, p.ohlc.low, p.ohlc.close] {
        out.extend_from_slice(&price(value)?.to_be_bytes());
    }
    if p.mode == TickerMode::Full {
        let depth = p.depth.ok_or(EncodeError::MissingDepth(p.token.0))?;
        for value in [
            p.last_trade_time.unwrap_or(0),
            p.oi,
            p.oi_day_high,
            p.oi_day_low,
            p.exchange_time.unwrap_or(0),
        ] {
            out.extend_from_slice(&value.to_be_bytes());
        }
        for level in depth.buy.iter().chain(depth.sell.iter()) {
            out.extend_from_slice(&level.quantity.to_be_bytes());
            out.extend_from_slice(&price(level.price)?.to_be_bytes());
            out.extend_from_slice(&level.orders.to_be_bytes());
            out.extend_from_slice(&[0, 0]);
        }
    }
    debug_assert!(matches!(out.len() - start, QUOTE_LEN | FULL_LEN));
    Ok(())
}

/// One binary websocket message holding `packets`. On error `out` is left as it was.
pub fn encode_frame(packets: &[TickerPacket], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let count =
        u16::try_from(packets.len()).map_err(|_| EncodeError::TooManyPackets(packets.len()))?;
    let start = out.len();
    out.extend_from_slice(&count.to_be_bytes());
    for packet in packets {
        let len_at = out.len();
        out.extend_from_slice(&[0, 0]);
        if let Err(e) = encode_packet(packet, out) {
            out.truncate(start);
            return Err(e);
        }
        // A packet is at most 184 bytes, so its length always fits.
        let len = (out.len() - len_at - 2) as u16;
        out[len_at..len_at + 2].copy_from_slice(&len.to_be_bytes());
    }
    Ok(())
}
