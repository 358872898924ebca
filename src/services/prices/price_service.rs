//! The price service: the newest tick of every instrument the feed delivers, 1-minute candles
//! for the instruments someone opened a chart of (backfilled from the historical API the first
//! time), and one publish on the tick bus per new tick. Ticks a whole second older than the
//! one held are dropped here, so every subscriber sees each instrument move forward only (see
//! `STAMP_PRECISION_MS` for why not a millisecond older).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use super::candles::{CandleSeries, MINUTE_MS};
use crate::model::{Candle, InstrumentToken, Tick};
use crate::ports::{HistoricalPrices, MarketData, TickBus};

/// Candles kept per chart: four sessions of 1-minute candles (375 in a session).
const CANDLES_PER_CHART: usize = 1_500;
/// How far back a chart is backfilled: four days, so a chart opened on a weekend or after a
/// holiday still shows the last session (a day back from a Saturday finds no candle at all).
const BACKFILL_MS: i64 = 4 * 24 * 60 * MINUTE_MS;
/// Charts kept live at once; the least recently opened goes first.
const MAX_CHARTS: usize = 256;
/// How finely two ticks' times can be ordered. Kite stamps a full-mode packet with the
/// exchange's time to the second, and a packet without a stamp (LTP and quote modes) is
/// stamped when it arrives, to the millisecond. When a page asks for an instrument's depth,
/// its packets change from quote to full mode: the first full one reads `hh:mm:ss.000` after
/// a quote one read `hh:mm:ss.902`, and it is the newer. Only a tick a whole second behind
/// the one held is out of order (a relay of a process that lost its lease, say).
const STAMP_PRECISION_MS: i64 = 1_000;

/// What a chart starts from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartData {
    pub token: InstrumentToken,
    pub interval_ms: i64,
    pub candles: Vec<Candle>,
    /// Why history is missing, when it is (the live candles are there regardless).
    pub history_error: Option<String>,
}

struct Chart {
    series: CandleSeries,
    backfilled: bool,
}

#[derive(Default)]
struct State {
    latest: HashMap<InstrumentToken, Tick>,
    charts: HashMap<InstrumentToken, Chart>,
    opened: VecDeque<InstrumentToken>,
    last_update_ms: Option<i64>,
}

pub struct PriceService {
    state: Mutex<State>,
    bus: Arc<dyn TickBus>,
    history: Arc<dyn HistoricalPrices>,
}

impl PriceService {
    pub fn new(bus: Arc<dyn TickBus>, history: Arc<dyn HistoricalPrices>) -> Self {
        Self {
            state: Mutex::new(State::default()),
            bus,
            history,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic mid-update leaves plain values behind; the state is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes one batch from the feed (`received_ms`: when it arrived). Returns how many ticks
    /// were new and published.
    pub fn on_ticks(&self, ticks: impl IntoIterator<Item = Tick>, received_ms: i64) -> usize {
        let mut fresh = Vec::new();
        {
            let mut state = self.lock();
            for tick in ticks {
                match state.latest.get(&tick.token) {
                    Some(held)
                        if tick.exchange_time_ms
                            <= held.exchange_time_ms.saturating_sub(STAMP_PRECISION_MS) =>
                    {
                        continue;
                    }
                    Some(held) if *held == tick => continue,
                    _ => {}
                }
                state.latest.insert(tick.token, tick);
                if let Some(chart) = state.charts.get_mut(&tick.token) {
                    chart.series.apply(&tick);
                }
                fresh.push(tick);
            }
            if !fresh.is_empty() {
                state.last_update_ms = Some(received_ms);
            }
        }
        for tick in &fresh {
            self.bus.publish(tick);
        }
        fresh.len()
    }

    pub fn latest_tick(&self, token: InstrumentToken) -> Option<Tick> {
        self.lock().latest.get(&token).copied()
    }

    /// The chart of `token`: from now on its candles are built live; the first time, the last
    /// day is backfilled from the historical API.
    pub async fn chart(&self, token: InstrumentToken, now_ms: i64) -> ChartData {
        let backfilled = {
            let mut state = self.lock();
            let state = &mut *state;
            if !state.charts.contains_key(&token) {
                let mut series = CandleSeries::new(MINUTE_MS, CANDLES_PER_CHART);
                if let Some(tick) = state.latest.get(&token) {
                    series.apply(tick);
                }
                state.charts.insert(
                    token,
                    Chart {
                        series,
                        backfilled: false,
                    },
                );
                state.opened.push_back(token);
                while state.opened.len() > MAX_CHARTS {
                    if let Some(old) = state.opened.pop_front() {
                        state.charts.remove(&old);
                    }
                }
            }
            state.charts.get(&token).is_some_and(|c| c.backfilled)
        };
        let mut history_error = None;
        if !backfilled {
            match self
                .history
                .minute_candles(token, now_ms - BACKFILL_MS, now_ms)
                .await
            {
                Ok(history) => {
                    if let Some(chart) = self.lock().charts.get_mut(&token)
                        && !chart.backfilled
                    {
                        chart.series.backfill(&history);
                        chart.backfilled = true;
                    }
                }
                Err(reason) => history_error = Some(reason),
            }
        }
        let candles = self
            .lock()
            .charts
            .get(&token)
            .map(|c| c.series.to_vec())
            .unwrap_or_default();
        ChartData {
            token,
            interval_ms: MINUTE_MS,
            candles,
            history_error,
        }
    }
}

impl MarketData for PriceService {
    fn latest(&self, tokens: &[InstrumentToken]) -> Vec<Tick> {
        let state = self.lock();
        tokens
            .iter()
            .filter_map(|t| state.latest.get(t).copied())
            .collect()
    }

    fn last_update_ms(&self) -> Option<i64> {
        self.lock().last_update_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Ohlc, Price};
    use crate::ports::{Interest, TickSubscription};
    use async_trait::async_trait;

    #[derive(Default)]
    struct Recorder(Mutex<Vec<Tick>>);
    impl TickBus for Recorder {
        fn publish(&self, tick: &Tick) {
            self.0.lock().unwrap().push(*tick);
        }
        fn subscribe(&self, _: Interest) -> Box<dyn TickSubscription> {
            unreachable!("not used here")
        }
    }

    struct History(Result<Vec<Candle>, String>);
    #[async_trait]
    impl HistoricalPrices for History {
        async fn minute_candles(
            &self,
            _: InstrumentToken,
            _: i64,
            _: i64,
        ) -> Result<Vec<Candle>, String> {
            self.0.clone()
        }
    }

    const T0: i64 = 1_795_578_300_000;

    fn tick(token: u32, rupees: i64, at: i64) -> Tick {
        Tick {
            token: InstrumentToken(token),
            last_price: Price::from_paise(rupees * 100).unwrap(),
            last_quantity: 1,
            volume: 10,
            ohlc: Ohlc::default(),
            exchange_time_ms: at,
            depth: None,
        }
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("the fake history never waits"),
        }
    }

    #[test]
    fn publishes_each_new_tick_once_and_drops_stale_ones() {
        let bus = Arc::new(Recorder::default());
        let service = PriceService::new(bus.clone(), Arc::new(History(Ok(vec![]))));
        assert_eq!(service.on_ticks([tick(1, 100, T0), tick(2, 50, T0)], T0), 2);
        assert_eq!(service.on_ticks([tick(1, 100, T0)], T0 + 1), 0, "repeat");
        assert_eq!(
            service.on_ticks([tick(1, 99, T0 - STAMP_PRECISION_MS)], T0 + 2),
            0,
            "a second older"
        );
        assert_eq!(service.on_ticks([tick(1, 101, T0 + 1)], T0 + 3), 1);
        assert_eq!(bus.0.lock().unwrap().len(), 3);
        assert_eq!(service.last_update_ms(), Some(T0 + 3));
        let latest = service.latest(&[InstrumentToken(2), InstrumentToken(9), InstrumentToken(1)]);
        assert_eq!(latest, [tick(2, 50, T0), tick(1, 101, T0 + 1)]);
    }

    /// Caught by the scale-out test: INFY streamed in quote mode (stamped on arrival, at
    /// .902 s), a page asked for its depth, the market was held at a new price, and every full
    /// packet after (stamped .000 s of the same second by the exchange) was dropped as older —
    /// the new price never reached a page or the level monitor until the market moved on.
    #[test]
    fn a_full_packet_stamped_to_the_second_after_a_quote_stamped_on_arrival_is_news() {
        let bus = Arc::new(Recorder::default());
        let service = PriceService::new(bus.clone(), Arc::new(History(Ok(vec![]))));
        let second = T0 - T0 % 1_000;
        assert_eq!(
            service.on_ticks([tick(1, 1875, second + 902)], second + 902),
            1
        );
        let mut full = tick(1, 1877, second);
        full.depth = Some(Default::default());
        assert_eq!(service.on_ticks([full], second + 950), 1, "the newer price");
        assert_eq!(service.latest_tick(InstrumentToken(1)), Some(full));
        assert_eq!(
            service.on_ticks([full], second + 1_050),
            0,
            "the same again"
        );
        assert_eq!(bus.0.lock().unwrap().len(), 2);
    }

    #[test]
    fn a_chart_is_backfilled_once_then_grows_live() {
        let history = vec![Candle::opened_at(
            T0 - 2 * MINUTE_MS,
            Price::from_paise(9_000).unwrap(),
            5,
        )];
        let service = PriceService::new(
            Arc::new(Recorder::default()),
            Arc::new(History(Ok(history))),
        );
        service.on_ticks([tick(1, 100, T0)], T0);
        let chart = block_on(service.chart(InstrumentToken(1), T0));
        assert_eq!(chart.candles.len(), 2, "{chart:?}");
        assert!(chart.history_error.is_none());
        service.on_ticks([tick(1, 102, T0 + MINUTE_MS)], T0);
        let chart = block_on(service.chart(InstrumentToken(1), T0 + MINUTE_MS));
        assert_eq!(chart.candles.len(), 3, "history is not joined twice");
        assert_eq!(chart.candles[2].close, Price::from_paise(10_200).unwrap());
    }

    #[test]
    fn a_failed_backfill_still_gives_live_candles_and_the_reason() {
        let service = PriceService::new(
            Arc::new(Recorder::default()),
            Arc::new(History(Err("historical API: too many requests".into()))),
        );
        service.on_ticks([tick(1, 100, T0)], T0);
        let chart = block_on(service.chart(InstrumentToken(1), T0));
        assert_eq!(chart.candles.len(), 1);
        assert_eq!(
            chart.history_error.as_deref(),
            Some("historical API: too many requests")
        );
    }
}
