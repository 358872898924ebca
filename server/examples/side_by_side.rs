//! Our half of the side-by-side comparisons `scripts/bench.sh` runs against Zerodha's official
//! Python client (`scripts/bench/official_kite.py` is the other half, on the same files):
//!
//! - `side_by_side inputs DIR`: writes the inputs both sides read — ticker frames of 100
//!   packets in each mode (`full.bin`, `quote.bin`, `ltp.bin`, `index.bin`; Kite's own captured
//!   frames are added by bench.sh) and a 100,000-row instruments dump (`instruments.csv`).
//! - `side_by_side decode FILE`: decodes the frame in FILE over and over for about two seconds
//!   and prints `{"packets_per_second": …}`, the best of three rounds.
//! - `side_by_side instruments FILE`: parses the dump (and, separately, parses it and replaces
//!   the instruments table of a fresh SQLite database with it, as the daily load does) and
//!   prints rows per second for each, the best of three rounds.
//!
//! Build with `cargo build --release -p server --example side_by_side`.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use kite_connect::instruments::{parse_dump, synthetic_dump};
use kite_connect::ticker::{
    Depth, DepthLevel, Frame, TickerMode, TickerPacket, encode_frame, parse_frame,
};
use osp_core::model::{InstrumentToken, Ohlc, Price};

const PACKETS: u32 = 100;
const ROWS: usize = 100_000;
const ROUND: Duration = Duration::from_secs(2);

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["inputs", dir] => inputs(Path::new(dir)),
        ["decode", file] => decode(Path::new(file)),
        ["instruments", file] => instruments(Path::new(file)),
        _ => Err("usage: side_by_side inputs DIR | decode FILE | instruments FILE".into()),
    }
}

fn price(paise: i64) -> Price {
    Price::from_paise(paise).unwrap_or(Price::ZERO)
}

/// A packet of instrument `i` in `mode`: an NSE equity, or an index (segment 9).
fn packet(i: u32, mode: TickerMode, index: bool) -> TickerPacket {
    let segment = if index { 9 } else { 1 };
    let last = 157_370 + i64::from(i);
    let mut p = TickerPacket::ltp(InstrumentToken((i << 8) | segment), price(last));
    p.mode = mode;
    p.is_index = index;
    if mode == TickerMode::Ltp {
        return p;
    }
    p.ohlc = Ohlc {
        open: price(last - 455),
        high: price(last + 130),
        low: price(last - 1265),
        close: price(last - 590),
    };
    p.exchange_time = Some(1_625_461_887);
    if index {
        return p;
    }
    p.last_quantity = 7;
    p.average_price = price(last - 333);
    p.volume = 1_192_471;
    p.buy_quantity = 256_443;
    p.sell_quantity = 363_009;
    if mode == TickerMode::Full {
        p.last_trade_time = Some(1_625_461_887);
        p.oi = 1_200;
        let level = |k: i64| DepthLevel {
            quantity: 100,
            price: price(last + k * 5),
            orders: 3,
        };
        p.depth = Some(Depth {
            buy: [level(-1), level(-2), level(-3), level(-4), level(-5)],
            sell: [level(0), level(1), level(2), level(3), level(4)],
        });
    } else {
        p.exchange_time = None;
    }
    p
}

fn inputs(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let write = |name: &str, bytes: &[u8]| {
        std::fs::write(dir.join(name), bytes).map_err(|e| format!("writing {name}: {e}"))
    };
    for (name, mode, index) in [
        ("full.bin", TickerMode::Full, false),
        ("quote.bin", TickerMode::Quote, false),
        ("ltp.bin", TickerMode::Ltp, false),
        ("index.bin", TickerMode::Full, true),
    ] {
        let packets: Vec<_> = (1..=PACKETS).map(|i| packet(i, mode, index)).collect();
        let mut frame = Vec::new();
        encode_frame(&packets, &mut frame).map_err(|e| format!("{name}: {e}"))?;
        write(name, &frame)?;
    }
    write("instruments.csv", synthetic_dump(ROWS).as_bytes())
}

/// The best rate of three rounds of `work` (which returns how many items it did).
fn best_rate(mut work: impl FnMut() -> Result<u64, String>) -> Result<f64, String> {
    let mut best = 0f64;
    for _ in 0..3 {
        let (start, mut done) = (Instant::now(), 0u64);
        while start.elapsed() < ROUND {
            done += work()?;
        }
        best = best.max(done as f64 / start.elapsed().as_secs_f64());
    }
    Ok(best)
}

fn decode(file: &Path) -> Result<(), String> {
    let frame = std::fs::read(file).map_err(|e| format!("reading {}: {e}", file.display()))?;
    let rate = best_rate(|| {
        let mut count = 0u64;
        for _ in 0..1_000 {
            let Ok(Frame::Packets(packets)) = parse_frame(black_box(&frame)) else {
                return Err(format!("{} is not a frame of packets", file.display()));
            };
            for packet in packets {
                let packet = packet.map_err(|e| e.to_string())?;
                black_box(&packet);
                count += 1;
            }
        }
        Ok(count)
    })?;
    println!("{{\"packets_per_second\": {rate:.0}}}");
    Ok(())
}

fn instruments(file: &Path) -> Result<(), String> {
    let csv = std::fs::read(file).map_err(|e| format!("reading {}: {e}", file.display()))?;
    let parse = best_rate(|| {
        let dump = parse_dump(black_box(&csv[..])).map_err(|e| e.to_string())?;
        Ok(dump.instruments.len() as u64)
    })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let settings = osp_server::config::DatabaseSettings {
        url: format!("sqlite://{}", dir.path().join("bench.db").display()).into(),
        max_connections: 2,
    };
    let database = runtime.block_on(async {
        let database = osp_server::database::Database::connect(&settings)
            .await
            .map_err(|e| e.to_string())?;
        database.migrate().await.map_err(|e| e.to_string())?;
        Ok::<_, String>(database)
    })?;
    let load = best_rate(|| {
        let dump = parse_dump(&csv[..]).map_err(|e| e.to_string())?;
        runtime.block_on(database.replace_instruments(&dump.instruments, &|_, _| {}))?;
        Ok(dump.instruments.len() as u64)
    })?;
    println!(
        "{{\"parse_rows_per_second\": {parse:.0}, \"parse_and_load_rows_per_second\": {load:.0}}}"
    );
    Ok(())
}
