//! Decoding speed of Kite ticker frames: a frame of 100 full-mode packets (184 bytes each,
//! 5 + 5 depth), decoded and summed so nothing is optimised away. Run with
//! `cargo bench -p kite-connect --bench ticker_decode`; the figure is packets per second.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kite_connect::ticker::{
    Depth, DepthLevel, Frame, TickerMode, TickerPacket, encode_frame, parse_frame,
};
use osp_core::model::{InstrumentToken, Ohlc, Price};

fn full_packet(i: u32) -> TickerPacket {
    let price = |paise: i64| Price::from_paise(paise + i64::from(i)).unwrap_or(Price::ZERO);
    let mut packet = TickerPacket::ltp(InstrumentToken((i << 8) | 1), price(157_370));
    packet.mode = TickerMode::Full;
    packet.last_quantity = 7;
    packet.average_price = price(157_037);
    packet.volume = 1_192_471;
    packet.buy_quantity = 256_443;
    packet.sell_quantity = 363_009;
    packet.ohlc = Ohlc {
        open: price(156_915),
        high: price(157_500),
        low: price(156_105),
        close: price(156_780),
    };
    packet.last_trade_time = Some(1_625_461_887);
    packet.exchange_time = Some(1_625_461_887);
    let level = |k: i64| DepthLevel {
        quantity: 100,
        price: price(157_370 + k * 5),
        orders: 3,
    };
    packet.depth = Some(Depth {
        buy: [level(-1), level(-2), level(-3), level(-4), level(-5)],
        sell: [level(0), level(1), level(2), level(3), level(4)],
    });
    packet
}

fn decode(c: &mut Criterion) {
    const PACKETS: u32 = 100;
    let packets: Vec<_> = (1..=PACKETS).map(full_packet).collect();
    let mut frame = Vec::new();
    encode_frame(&packets, &mut frame).expect("encodable");

    let mut group = c.benchmark_group("ticker");
    group.throughput(Throughput::Elements(u64::from(PACKETS)));
    group.bench_function("decode full-mode frame (100 packets)", |b| {
        b.iter(|| {
            let Ok(Frame::Packets(iter)) = parse_frame(black_box(&frame)) else {
                unreachable!("a packet frame")
            };
            iter.map(|p| {
                p.map(|p| p.last_price.raw() + p.depth.map_or(0, |d| d.buy[0].price.raw()))
            })
            .sum::<Result<i64, _>>()
        })
    });
    group.bench_function("encode full-mode frame (100 packets)", |b| {
        let mut out = Vec::with_capacity(frame.len());
        b.iter(|| {
            out.clear();
            encode_frame(black_box(&packets), &mut out).map(|()| out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
