//! Search time over a 100,000-instrument master shaped like Kite's (equities plus option
//! chains), for the kinds of query a trader types: a symbol prefix, a company name, a typo-ish
//! fuzzy query, and a one-letter query (the worst case: many candidates). The goal is under
//! 20 ms per search. Run with `cargo bench -p server --bench instrument_search`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use osp_core::model::{Exchange, Instrument, InstrumentToken, Price};
use osp_core::services::instruments::InstrumentIndex;

const COUNT: u32 = 100_000;

fn universe() -> Vec<Instrument> {
    (0..COUNT)
        .map(|i| {
            let (tradingsymbol, name, segment, kind, exchange) = if i % 4 == 0 {
                (
                    format!("EQUITY{i}"),
                    format!("EQUITY COMPANY {i} LIMITED"),
                    "NSE",
                    "EQ",
                    Exchange::Nse,
                )
            } else {
                let strike = 20_000 + (i % 400) * 50;
                let kind = if i % 2 == 0 { "CE" } else { "PE" };
                let underlying = ["NIFTY", "BANKNIFTY", "FINNIFTY", "RELIANCE"][(i % 4) as usize];
                (
                    format!("{underlying}26DEC{strike}{kind}"),
                    underlying.to_owned(),
                    "NFO-OPT",
                    kind,
                    Exchange::Nfo,
                )
            };
            Instrument {
                token: InstrumentToken(i + 1),
                exchange_token: i,
                tradingsymbol,
                name,
                exchange,
                segment: segment.to_owned(),
                instrument_type: kind.to_owned(),
                tick_size: Price::from_raw(500),
                lot_size: 1,
                expiry: None,
                strike: Price::ZERO,
            }
        })
        .collect()
}

fn search(c: &mut Criterion) {
    let index = InstrumentIndex::new(universe());
    let mut group = c.benchmark_group("instrument_search_100k");
    for query in [
        "EQUITY123",
        "nifty26dec2",
        "equity company 99",
        "bnkfty",
        "n",
    ] {
        group.bench_function(query, |b| {
            b.iter(|| black_box(index.search(black_box(query), 20)))
        });
    }
    group.finish();
    c.bench_function("instrument_index_build_100k", |b| {
        b.iter_batched(
            universe,
            |u| black_box(InstrumentIndex::new(u)),
            criterion::BatchSize::LargeInput,
        )
    });
}

criterion_group!(benches, search);
criterion_main!(benches);
