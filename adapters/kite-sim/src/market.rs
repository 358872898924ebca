//! The simulator's market: steps the core's seeded random walk (`DemoMarket`) on an interval
//! and publishes each snapshot on a `watch` (only the newest value is kept, so no reader can
//! make it queue). The simulator's ticker turns these snapshots into Kite packets.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use osp_core::model::{InstrumentToken, MarketSnapshot, Price};
use osp_core::ports::Clock;
use osp_core::services::prices::{DemoInstrument, DemoMarket};
use tokio::sync::watch;

use tokio_util::sync::CancellationToken;

pub struct SimMarket {
    market: Mutex<DemoMarket>,
    cell: watch::Sender<MarketSnapshot>,
    clock: Arc<dyn Clock>,
}

impl SimMarket {
    /// A market over `instruments` (the simulator's whole universe).
    pub fn new(
        seed: u64,
        instruments: Vec<DemoInstrument>,
        clock: Arc<dyn Clock>,
    ) -> Arc<SimMarket> {
        let market = DemoMarket::new(seed, instruments, clock.now_ms());
        let cell = watch::channel(market.snapshot()).0;
        Arc::new(SimMarket {
            market: Mutex::new(market),
            cell,
            clock,
        })
    }

    /// The newest snapshot.
    pub fn snapshot_now(&self) -> MarketSnapshot {
        self.cell.borrow().clone()
    }

    /// A receiver that always sees the newest snapshot.
    pub fn subscribe(&self) -> watch::Receiver<MarketSnapshot> {
        self.cell.subscribe()
    }

    /// One market step, published. What the loop does each interval.
    pub fn step(&self) -> MarketSnapshot {
        let now = self.clock.now_ms();
        let snapshot = {
            // A poisoned lock only means a step panicked; the market state is still whole.
            let mut market = self.market.lock().unwrap_or_else(|p| p.into_inner());
            market.step(now)
        };
        self.cell.send_replace(snapshot.clone());
        snapshot
    }

    /// The walk moves `token` again from where it was held.
    pub fn release(&self, token: InstrumentToken) {
        self.market
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .release(token);
    }

    /// Trades one instrument at `price` now, holds it there (the walk leaves it until the next
    /// price put on it, or `release`) and publishes the market (a test's lever).
    pub fn set_last_price(&self, token: InstrumentToken, price: Price) -> bool {
        let now = self.clock.now_ms();
        let snapshot = {
            let mut market = self.market.lock().unwrap_or_else(|p| p.into_inner());
            if !market.set_last_price(token, price, now) {
                return false;
            }
            market.snapshot()
        };
        self.cell.send_replace(snapshot);
        true
    }

    pub async fn run_until_stopped(
        self: Arc<Self>,
        interval: Duration,
        shutdown: CancellationToken,
    ) {
        // The first step comes one interval from now, not at once: whatever a caller set just
        // before starting stays put until then.
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = ticker.tick() => { self.step(); }
            }
        }
        tracing::debug!("simulated market stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use osp_core::services::prices::demo_instruments;
    use osp_core::testing::ManualClock;

    #[tokio::test]
    async fn a_slow_reader_gets_the_latest_snapshot_not_a_backlog() {
        let feed = SimMarket::new(
            3,
            demo_instruments(),
            Arc::new(ManualClock::at(1_780_000_000_000)),
        );
        let mut rx = feed.subscribe();
        assert_eq!(feed.snapshot_now().seq, 0);
        let mut last = None;
        for _ in 0..100 {
            last = Some(feed.step());
        }
        assert!(rx.has_changed().unwrap());
        let seen = rx.borrow_and_update().clone();
        assert_eq!(Some(seen.clone()), last);
        assert_eq!(seen.seq, 100);
        assert!(!rx.has_changed().unwrap());
        assert_eq!(feed.snapshot_now(), seen);
    }

    #[tokio::test]
    async fn the_loop_steps_and_stops_on_shutdown() {
        let feed = SimMarket::new(
            3,
            demo_instruments(),
            Arc::new(ManualClock::at(1_780_000_000_000)),
        );
        let mut rx = feed.subscribe();
        let stop = CancellationToken::new();
        let task = tokio::spawn(
            feed.clone()
                .run_until_stopped(Duration::from_millis(10), stop.clone()),
        );
        rx.changed().await.unwrap();
        rx.changed().await.unwrap();
        stop.cancel();
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .unwrap()
            .unwrap();
        assert!(feed.snapshot_now().seq >= 2);
    }
}
