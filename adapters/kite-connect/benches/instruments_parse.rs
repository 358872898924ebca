//! Parse time of a 100,000-row instruments dump (the size of Kite's daily dump), shaped like
//! the real one: equities and an options chain with expiries and strikes. Run with
//! `cargo bench -p kite-connect --bench instruments_parse`.

use std::fmt::Write;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kite_connect::instruments::parse_dump;

const ROWS: usize = 100_000;

fn dump() -> String {
    let mut csv = String::from(
        "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange\n",
    );
    for i in 0..ROWS {
        let token = (i as u32 + 1) << 8;
        if i % 3 == 0 {
            let _ = writeln!(
                csv,
                "{},{},EQUITY{i},EQUITY COMPANY {i} LIMITED,0.0,,0.0,0.05,1,EQ,NSE,NSE",
                token | 1,
                i
            );
        } else {
            let strike = 20_000 + (i % 200) * 50;
            let kind = if i % 2 == 0 { "CE" } else { "PE" };
            let _ = writeln!(
                csv,
                "{},{},NIFTY26DEC{strike}{kind},,{}.{:02},2026-12-31,{strike}.0,0.05,75,{kind},NFO-OPT,NFO",
                token | 2,
                i,
                i % 900,
                i % 100
            );
        }
    }
    csv
}

fn parse(c: &mut Criterion) {
    let csv = dump();
    let mut group = c.benchmark_group("instruments");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("parse 100k-row dump", |b| {
        b.iter(|| {
            let dump = parse_dump(black_box(csv.as_bytes())).expect("valid dump");
            assert_eq!(dump.instruments.len(), ROWS);
            dump.instruments.len()
        })
    });
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
