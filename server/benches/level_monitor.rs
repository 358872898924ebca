//! Ticks per second through the level monitor with 100,000 armed levels over 3,000
//! instruments (about 33 per instrument, spread ±5 % around each price), each tick a small step
//! of a random walk. Run with `cargo bench -p server --bench level_monitor`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use osp_core::model::{Confirmation, InstrumentToken, LevelTrigger, Price};
use osp_core::services::trading::{LevelId, LevelMonitor, LevelSpec};

const LEVELS: i64 = 100_000;
const INSTRUMENTS: u32 = 3_000;
const TICKS: usize = 100_000;

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

/// Every instrument starts at ₹1,000 (raw 10,000,000).
const START: i64 = 10_000_000;

fn monitor(rng: &mut Lcg) -> LevelMonitor {
    let mut m = LevelMonitor::default();
    let triggers = [LevelTrigger::Up, LevelTrigger::Down, LevelTrigger::Either];
    for id in 0..LEVELS {
        let token = InstrumentToken((rng.next() % u64::from(INSTRUMENTS)) as u32 + 1);
        let offset = (rng.next() % 1_001) as i64 - 500; // ±5 % in 0.01 % steps
        m.add(LevelSpec {
            id: LevelId(id),
            token,
            price: Price::from_raw(START + START * offset / 10_000),
            trigger: triggers[(id % 3) as usize],
            confirmation: if id % 2 == 0 {
                Confirmation::Cross
            } else {
                Confirmation::Ticks { count: 3 }
            },
        });
    }
    m
}

fn ticks(rng: &mut Lcg) -> Vec<(InstrumentToken, Price)> {
    let mut last = vec![START; INSTRUMENTS as usize];
    (0..TICKS)
        .map(|_| {
            let i = (rng.next() % u64::from(INSTRUMENTS)) as usize;
            // ±0.1 % per tick.
            last[i] += START * ((rng.next() % 21) as i64 - 10) / 10_000;
            (InstrumentToken(i as u32 + 1), Price::from_raw(last[i]))
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut rng = Lcg(11);
    let path = ticks(&mut rng);
    let mut group = c.benchmark_group("level_monitor_100k_levels_3000_instruments");
    group.throughput(Throughput::Elements(TICKS as u64));
    group.sample_size(10);
    group.bench_function("ticks", |b| {
        b.iter_batched(
            || monitor(&mut Lcg(5)),
            |mut m| {
                let mut events = 0usize;
                for (n, (token, price)) in path.iter().enumerate() {
                    events += m.on_tick(*token, *price, n as i64).len();
                }
                black_box(events)
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
