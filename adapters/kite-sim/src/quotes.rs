//! Ticker packets from the simulated market's quotes, with a 5-level depth around the last
//! price, as Kite sends them in each mode.

use osp_core::model::{Price, Quote};

use kite_connect::ticker::{Depth, DepthLevel, Segment, TickerMode, TickerPacket};

pub fn packet_for(quote: &Quote, mode: TickerMode) -> TickerPacket {
    let t = &quote.tick;
    let mut packet = TickerPacket::ltp(t.token, t.last_price);
    if mode == TickerMode::Ltp {
        return packet;
    }
    packet.mode = mode;
    packet.ohlc = t.ohlc;
    let seconds = u32::try_from(t.exchange_time_ms / 1000).unwrap_or(0);
    if packet.is_index {
        packet.index_change = t.change();
        if mode == TickerMode::Full {
            packet.exchange_time = Some(seconds);
        }
        return packet;
    }
    packet.last_quantity = t.last_quantity;
    packet.average_price = t.last_price;
    packet.volume = u32::try_from(t.volume).unwrap_or(u32::MAX);
    let volume_share = (packet.volume / 4).max(1);
    packet.buy_quantity = volume_share;
    packet.sell_quantity = volume_share + t.last_quantity;
    if mode == TickerMode::Full {
        packet.last_trade_time = Some(seconds);
        packet.exchange_time = Some(seconds);
        let tick = match Segment::of(t.token) {
            Segment::Cds | Segment::Bcd => Price::from_raw(25),
            _ => Price::from_raw(500),
        };
        let level = |k: i64| {
            let offset = Price::from_raw(tick.raw() * k);
            DepthLevel {
                quantity: (t.last_quantity.max(1) * (6 - k.unsigned_abs() as u32)) % 5_000 + 1,
                price: t
                    .last_price
                    .checked_add(offset)
                    .filter(|p| p.raw() > 0)
                    .unwrap_or(t.last_price),
                orders: (k.unsigned_abs() as u16) + 1,
            }
        };
        packet.depth = Some(Depth {
            buy: [level(-1), level(-2), level(-3), level(-4), level(-5)],
            sell: [level(1), level(2), level(3), level(4), level(5)],
        });
    }
    packet
}
