//! The codec against Zerodha's published packets, round trips for every packet type, and
//! property tests: arbitrary bytes never panic, arbitrary packets survive encode → decode.

use base64::Engine;
use osp_core::model::{InstrumentToken, Ohlc, Price};
use proptest::prelude::*;

use super::*;

fn fixture(name: &str) -> String {
    crate::fixtures::text(name)
}

fn packet_fixture(name: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(fixture(name).trim())
        .expect("fixture is base64")
}

fn json_fixture(name: &str) -> serde_json::Value {
    serde_json::from_str(&fixture(name)).expect("fixture is JSON")
}

/// A JSON number from the fixture as an exact price (the JSON holds floats like 1573.15).
fn json_price(v: &serde_json::Value) -> Price {
    Price::parse(&v.to_string()).unwrap_or_else(|e| panic!("{v}: {e}"))
}

fn p(s: &str) -> Price {
    Price::parse(s).unwrap()
}

#[test]
fn zerodhas_quote_packet_decodes_to_its_published_values() {
    let bytes = packet_fixture("ticker_quote.packet");
    assert_eq!(bytes.len(), 44);
    let expected = json_fixture("ticker_quote.json");
    let packet = parse_packet(&bytes).unwrap();
    assert_eq!(packet.mode, TickerMode::Quote);
    assert_eq!(packet.mode.as_str(), expected["mode"]);
    assert_eq!(packet.is_tradable(), expected["tradable"]);
    assert_eq!(u64::from(packet.token.0), expected["instrument_token"]);
    assert_eq!(packet.last_price, json_price(&expected["last_price"]));
    assert_eq!(u64::from(packet.last_quantity), expected["last_quantity"]);
    assert_eq!(packet.average_price, json_price(&expected["average_price"]));
    assert_eq!(u64::from(packet.volume), expected["volume"]);
    assert_eq!(u64::from(packet.buy_quantity), expected["buy_quantity"]);
    assert_eq!(u64::from(packet.sell_quantity), expected["sell_quantity"]);
    let ohlc = &expected["ohlc"];
    assert_eq!(packet.ohlc.open, json_price(&ohlc["open"]));
    assert_eq!(packet.ohlc.high, json_price(&ohlc["high"]));
    assert_eq!(packet.ohlc.low, json_price(&ohlc["low"]));
    assert_eq!(packet.ohlc.close, json_price(&ohlc["close"]));
    // The change is last price − close, exactly: 1573.15 − 1567.80 = 5.35. (The fixture's
    // "change": 5.900000000000091 belongs to the full packet, 1573.70 − 1567.80: copied over
    // in Zerodha's mock, inconsistent with this packet's own prices.)
    assert_eq!(packet.change(), Some(p("5.35")));
    let full = json_fixture("ticker_full.json");
    let full_change = json_price(&full["last_price"])
        .checked_sub(json_price(&full["ohlc"]["close"]))
        .unwrap();
    assert_eq!(full_change, p("5.90"));
    assert_eq!(packet.depth, None);
}

#[test]
fn zerodhas_full_packet_decodes_with_depth_and_times() {
    let bytes = packet_fixture("ticker_full.packet");
    assert_eq!(bytes.len(), 184);
    let expected = json_fixture("ticker_full.json");
    let packet = parse_packet(&bytes).unwrap();
    assert_eq!(packet.mode, TickerMode::Full);
    assert_eq!(packet.last_price, json_price(&expected["last_price"]));
    assert_eq!(u64::from(packet.last_quantity), expected["last_quantity"]);
    assert_eq!(packet.average_price, json_price(&expected["average_price"]));
    assert_eq!(u64::from(packet.volume), expected["volume"]);
    assert_eq!(u64::from(packet.oi), expected["oi"]);
    assert_eq!(u64::from(packet.oi_day_high), expected["oi_day_high"]);
    assert_eq!(u64::from(packet.oi_day_low), expected["oi_day_low"]);
    // "2021-07-05T10:41:27+05:30" for both.
    assert_eq!(packet.last_trade_time, Some(1_625_461_887));
    assert_eq!(packet.exchange_time, Some(1_625_461_887));
    assert_eq!(
        osp_core::format::ist_clock(i64::from(packet.exchange_time.unwrap()) * 1000),
        "10:41:27"
    );
    let depth = packet.depth.expect("full mode has depth");
    for (side, levels) in [("buy", depth.buy), ("sell", depth.sell)] {
        let published = expected["depth"][side].as_array().unwrap();
        assert_eq!(published.len(), 5);
        for (level, want) in levels.iter().zip(published) {
            assert_eq!(level.price, json_price(&want["price"]), "{side}");
            assert_eq!(u64::from(level.quantity), want["quantity"], "{side}");
            assert_eq!(u64::from(level.orders), want["orders"], "{side}");
        }
    }
    let tick = packet.to_tick(0);
    assert_eq!(tick.exchange_time_ms, 1_625_461_887_000);
    assert_eq!(tick.last_price, p("1573.70"));
}

#[test]
fn ltp_mode_as_published_round_trips() {
    let expected = json_fixture("ticker_ltp.json");
    let packet = TickerPacket::ltp(
        InstrumentToken(expected["instrument_token"].as_u64().unwrap() as u32),
        json_price(&expected["last_price"]),
    );
    let mut bytes = Vec::new();
    encode_packet(&packet, &mut bytes).unwrap();
    assert_eq!(bytes.len(), 8);
    let back = parse_packet(&bytes).unwrap();
    assert_eq!(back, packet);
    assert_eq!(back.mode.as_str(), expected["mode"]);
    assert_eq!(back.is_tradable(), expected["tradable"]);
}

#[test]
fn the_published_packets_re_encode_byte_for_byte() {
    for name in ["ticker_quote.packet", "ticker_full.packet"] {
        let bytes = packet_fixture(name);
        let mut again = Vec::new();
        encode_packet(&parse_packet(&bytes).unwrap(), &mut again).unwrap();
        assert_eq!(again, bytes, "{name}");
    }
}

fn index_packet(mode: TickerMode) -> TickerPacket {
    // NIFTY 50: segment 9, not tradable; falling, so the change is negative.
    let mut packet = TickerPacket::ltp(InstrumentToken(256_265), p("24103.75"));
    packet.mode = mode;
    packet.ohlc = Ohlc {
        open: p("24125.50"),
        high: p("24139.95"),
        low: p("24090.10"),
        close: p("24125.50"),
    };
    packet.index_change = Some(p("-21.75"));
    if mode == TickerMode::Full {
        packet.exchange_time = Some(1_795_578_300);
    }
    packet
}

#[test]
fn index_packets_round_trip_with_a_negative_change() {
    for (mode, len) in [(TickerMode::Quote, 28), (TickerMode::Full, 32)] {
        let packet = index_packet(mode);
        let mut bytes = Vec::new();
        encode_packet(&packet, &mut bytes).unwrap();
        assert_eq!(bytes.len(), len);
        let back = parse_packet(&bytes).unwrap();
        assert_eq!(back, packet);
        assert!(!back.is_tradable());
        assert_eq!(back.index_change, Some(p("-21.75")));
        assert_eq!(back.change(), Some(p("-21.75")));
    }
}

#[test]
fn a_frame_of_several_packets_decodes_in_order() {
    let quote = parse_packet(&packet_fixture("ticker_quote.packet")).unwrap();
    let full = parse_packet(&packet_fixture("ticker_full.packet")).unwrap();
    let ltp = TickerPacket::ltp(InstrumentToken(738_561), p("1300.10"));
    let packets = [quote, full, ltp, index_packet(TickerMode::Full)];
    let mut frame = Vec::new();
    encode_frame(&packets, &mut frame).unwrap();
    assert_eq!(frame.len(), 2 + (2 + 44) + (2 + 184) + (2 + 8) + (2 + 32));
    let Frame::Packets(iter) = parse_frame(&frame).unwrap() else {
        panic!("not a heartbeat")
    };
    let decoded: Vec<_> = iter.collect::<Result<_, _>>().unwrap();
    assert_eq!(decoded, packets);
}

#[test]
fn heartbeats_and_malformed_frames_are_values_not_panics() {
    assert!(matches!(parse_frame(&[0]), Ok(Frame::Heartbeat)));
    assert_eq!(parse_frame(&[]).unwrap_err(), FrameError::Empty);

    let collect = |bytes: &[u8]| -> Vec<Result<TickerPacket, FrameError>> {
        match parse_frame(bytes).unwrap() {
            Frame::Packets(p) => p.collect(),
            Frame::Heartbeat => panic!("heartbeat"),
        }
    };
    // Promises two packets, holds one.
    let mut frame = Vec::new();
    encode_frame(&[index_packet(TickerMode::Quote)], &mut frame).unwrap();
    frame[1] = 2;
    let results = collect(&frame);
    assert!(results[0].is_ok());
    assert!(matches!(results[1], Err(FrameError::Truncated { .. })));
    assert_eq!(results.len(), 2, "stops after the first error");
    // A length prefix that runs past the end.
    assert!(matches!(
        collect(&[0, 1, 0, 44, 1, 2, 3])[0],
        Err(FrameError::Truncated {
            at: 4,
            needed: 44,
            available: 3
        })
    ));
    // A packet size no mode has.
    assert_eq!(
        collect(&[0, 1, 0, 9, 0, 0, 0, 1, 0, 0, 0, 1, 7])[0],
        Err(FrameError::UnknownPacketLength(9))
    );
    // Bytes after the promised packets.
    let mut frame = Vec::new();
    encode_frame(&[index_packet(TickerMode::Quote)], &mut frame).unwrap();
    frame.push(0xff);
    assert_eq!(collect(&frame)[1], Err(FrameError::TrailingBytes(1)));
    // Zero packets is a valid, empty frame.
    assert!(collect(&[0, 0]).is_empty());
}

#[test]
fn what_cannot_be_encoded_is_refused_and_leaves_the_buffer_alone() {
    let mut bad = TickerPacket::ltp(InstrumentToken(408_065), p("1.001"));
    let mut out = vec![9, 9];
    assert!(matches!(
        encode_frame(&[bad], &mut out),
        Err(EncodeError::Price { token: 408_065, .. })
    ));
    assert_eq!(out, [9, 9]);
    bad.last_price = p("1.00");
    bad.mode = TickerMode::Full;
    assert_eq!(
        encode_packet(&bad, &mut Vec::new()),
        Err(EncodeError::MissingDepth(408_065))
    );
}

fn arb_price() -> impl Strategy<Value = Price> {
    // Whole paise within u32 on the wire.
    (0_i64..=4_000_000_000).prop_map(|paise| Price::from_raw(paise * 100))
}

fn arb_level() -> impl Strategy<Value = DepthLevel> {
    (any::<u32>(), arb_price(), any::<u16>()).prop_map(|(quantity, price, orders)| DepthLevel {
        quantity,
        price,
        orders,
    })
}

fn arb_full_packet() -> impl Strategy<Value = TickerPacket> {
    (
        (1_u32..=0x00ff_ffff).prop_map(|high| InstrumentToken((high << 8) | 1)),
        proptest::array::uniform4(arb_price()),
        (
            arb_price(),
            arb_price(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
        ),
        (
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
        ),
        proptest::array::uniform5(arb_level()),
        proptest::array::uniform5(arb_level()),
    )
        .prop_map(
            |(token, ohlc, (ltp, avg, ltq, vol, bq, sq), (ltt, oi, oih, oil, ext), buy, sell)| {
                let mut packet = TickerPacket::ltp(token, ltp);
                packet.mode = TickerMode::Full;
                packet.ohlc = Ohlc {
                    open: ohlc[0],
                    high: ohlc[1],
                    low: ohlc[2],
                    close: ohlc[3],
                };
                packet.average_price = avg;
                packet.last_quantity = ltq;
                packet.volume = vol;
                packet.buy_quantity = bq;
                packet.sell_quantity = sq;
                packet.last_trade_time = Some(ltt);
                packet.oi = oi;
                packet.oi_day_high = oih;
                packet.oi_day_low = oil;
                packet.exchange_time = Some(ext);
                packet.depth = Some(Depth { buy, sell });
                packet
            },
        )
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(Frame::Packets(packets)) = parse_frame(&bytes) {
            // Every packet is read or refused; the iterator always ends.
            prop_assert!(packets.count() <= bytes.len());
        }
        let _ = parse_packet(&bytes);
    }

    #[test]
    fn arbitrary_full_packets_survive_encode_then_decode(packets in proptest::collection::vec(arb_full_packet(), 1..8)) {
        let mut frame = Vec::new();
        encode_frame(&packets, &mut frame).unwrap();
        let Ok(Frame::Packets(iter)) = parse_frame(&frame) else { panic!("not packets") };
        let decoded: Vec<_> = iter.collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(decoded, packets);
    }
}
