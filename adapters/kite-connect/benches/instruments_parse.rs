//! Parse time of a 100,000-row instruments dump (the size of Kite's daily dump), shaped like
//! the real one: equities and an options chain with expiries and strikes. Run with
//! `cargo bench -p kite-connect --bench instruments_parse`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kite_connect::instruments::{parse_dump, synthetic_dump};

const ROWS: usize = 100_000;

fn parse(c: &mut Criterion) {
    let csv = synthetic_dump(ROWS);
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
