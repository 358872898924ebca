//! Candles built from ticks. A tick's volume is the day's cumulative volume, so the volume of a
//! candle is the growth of that figure within its interval. Intervals without a trade have no
//! candle (as in Kite's historical data); a tick older than the newest candle is ignored (an
//! interval that has closed does not change). Backfill from the historical API joins in front.

use std::collections::VecDeque;

use crate::model::{Candle, Tick};

/// One minute, the live chart's interval.
pub const MINUTE_MS: i64 = 60_000;

#[derive(Clone, Debug)]
pub struct CandleSeries {
    interval_ms: i64,
    capacity: usize,
    candles: VecDeque<Candle>,
    /// The day volume of the previous tick, to turn cumulative volume into per-candle volume.
    last_day_volume: Option<u64>,
}

impl CandleSeries {
    /// Keeps at most `capacity` candles (the oldest go first).
    pub fn new(interval_ms: i64, capacity: usize) -> Self {
        Self {
            interval_ms: interval_ms.max(1),
            capacity: capacity.max(1),
            candles: VecDeque::new(),
            last_day_volume: None,
        }
    }

    pub fn interval_ms(&self) -> i64 {
        self.interval_ms
    }

    /// The start of the interval holding `unix_ms`.
    pub fn bucket(&self, unix_ms: i64) -> i64 {
        unix_ms.div_euclid(self.interval_ms) * self.interval_ms
    }

    /// Folds one tick in; returns whether a candle changed.
    pub fn apply(&mut self, tick: &Tick) -> bool {
        let start = self.bucket(tick.exchange_time_ms);
        // A smaller day volume is a new session (or a feed restart): nothing to attribute.
        let traded = match self.last_day_volume {
            Some(before) if tick.volume >= before => tick.volume - before,
            _ => 0,
        };
        match self.candles.back_mut() {
            Some(last) if last.start_ms == start => {
                *last = last.with_trade(tick.last_price, traded);
            }
            Some(last) if last.start_ms > start => return false,
            _ => {
                self.candles
                    .push_back(Candle::opened_at(start, tick.last_price, traded));
                if self.candles.len() > self.capacity {
                    self.candles.pop_front();
                }
            }
        }
        self.last_day_volume = Some(tick.volume);
        true
    }

    /// Joins historical candles in front of the live ones. History for an interval the live
    /// series already has is merged into it (the history saw the whole interval's start, the
    /// live series its end); history after the first live candle is ignored.
    pub fn backfill(&mut self, history: &[Candle]) {
        let first_live = self.candles.front().map(|c| c.start_ms);
        let mut older: Vec<Candle> = Vec::with_capacity(history.len());
        for candle in history {
            let start = self.bucket(candle.start_ms);
            match first_live {
                Some(live) if start > live => continue,
                Some(live) if start == live => {
                    if let Some(front) = self.candles.front_mut() {
                        *front = Candle {
                            start_ms: live,
                            open: candle.open,
                            high: front.high.max(candle.high),
                            low: front.low.min(candle.low),
                            close: front.close,
                            volume: front.volume.max(candle.volume),
                        };
                    }
                }
                _ => older.push(Candle {
                    start_ms: start,
                    ..*candle
                }),
            }
        }
        older.sort_by_key(|c| c.start_ms);
        older.dedup_by_key(|c| c.start_ms);
        for candle in older.into_iter().rev() {
            if self.candles.len() >= self.capacity {
                break;
            }
            self.candles.push_front(candle);
        }
    }

    pub fn candles(&self) -> impl ExactSizeIterator<Item = &Candle> {
        self.candles.iter()
    }

    pub fn last(&self) -> Option<&Candle> {
        self.candles.back()
    }

    pub fn to_vec(&self) -> Vec<Candle> {
        self.candles.iter().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{InstrumentToken, Ohlc, Price};

    /// 09:15:00 IST on 2026-11-25.
    const OPEN: i64 = 1_795_578_300_000;

    fn p(rupees: i64) -> Price {
        Price::from_paise(rupees * 100).unwrap()
    }

    fn tick(at_ms: i64, rupees: i64, day_volume: u64) -> Tick {
        Tick {
            token: InstrumentToken(1),
            last_price: p(rupees),
            last_quantity: 1,
            volume: day_volume,
            ohlc: Ohlc::default(),
            exchange_time_ms: at_ms,
            depth: None,
        }
    }

    fn series() -> CandleSeries {
        CandleSeries::new(MINUTE_MS, 100)
    }

    #[test]
    fn ticks_in_one_minute_make_one_candle() {
        let mut s = series();
        assert!(s.apply(&tick(OPEN, 100, 1_000)));
        assert!(s.apply(&tick(OPEN + 10_000, 104, 1_050)));
        assert!(s.apply(&tick(OPEN + 20_000, 98, 1_070)));
        assert!(s.apply(&tick(OPEN + 59_999, 101, 1_100)));
        let c = s.to_vec();
        assert_eq!(c.len(), 1);
        assert_eq!(
            (c[0].start_ms, c[0].open, c[0].high, c[0].low, c[0].close),
            (OPEN, p(100), p(104), p(98), p(101))
        );
        // The first tick's day volume is the baseline: 100 traded after it.
        assert_eq!(c[0].volume, 100);
    }

    #[test]
    fn a_minute_boundary_opens_a_new_candle_with_the_boundary_tick() {
        let mut s = series();
        s.apply(&tick(OPEN + 59_999, 100, 10));
        s.apply(&tick(OPEN + 60_000, 102, 15));
        let c = s.to_vec();
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].start_ms, OPEN + 60_000);
        assert_eq!((c[1].open, c[1].close, c[1].volume), (p(102), p(102), 5));
        assert_eq!(c[0].close, p(100), "the closed candle keeps its close");
    }

    #[test]
    fn minutes_without_trades_leave_a_gap() {
        let mut s = series();
        s.apply(&tick(OPEN + 5_000, 100, 10));
        s.apply(&tick(OPEN + 3 * 60_000 + 1, 103, 20));
        let starts: Vec<i64> = s.candles().map(|c| c.start_ms).collect();
        assert_eq!(starts, [OPEN, OPEN + 3 * 60_000]);
    }

    #[test]
    fn late_ticks_do_not_reopen_a_closed_minute() {
        let mut s = series();
        s.apply(&tick(OPEN + 61_000, 100, 10));
        assert!(!s.apply(&tick(OPEN + 59_000, 90, 11)));
        assert_eq!(s.to_vec().len(), 1);
        assert_eq!(s.last().unwrap().low, p(100));
    }

    #[test]
    fn a_falling_day_volume_counts_nothing() {
        let mut s = series();
        s.apply(&tick(OPEN, 100, 500));
        s.apply(&tick(OPEN + 1_000, 100, 20));
        assert_eq!(s.last().unwrap().volume, 0);
        s.apply(&tick(OPEN + 2_000, 100, 25));
        assert_eq!(s.last().unwrap().volume, 5);
    }

    #[test]
    fn capacity_drops_the_oldest() {
        let mut s = CandleSeries::new(MINUTE_MS, 3);
        for m in 0..5 {
            s.apply(&tick(OPEN + m * 60_000, 100 + m, 0));
        }
        let starts: Vec<i64> = s.candles().map(|c| c.start_ms).collect();
        assert_eq!(
            starts,
            [OPEN + 2 * 60_000, OPEN + 3 * 60_000, OPEN + 4 * 60_000]
        );
    }

    #[test]
    fn backfill_goes_in_front_and_merges_the_shared_minute() {
        let mut s = series();
        s.apply(&tick(OPEN + 2 * 60_000 + 30_000, 105, 100));
        s.apply(&tick(OPEN + 2 * 60_000 + 40_000, 106, 110));
        let history = [
            Candle::opened_at(OPEN, p(100), 50),
            Candle::opened_at(OPEN + 60_000, p(101), 40),
            Candle {
                start_ms: OPEN + 2 * 60_000,
                open: p(102),
                high: p(107),
                low: p(101),
                close: p(105),
                volume: 30,
            },
            // Newer than the live series: the live data wins.
            Candle::opened_at(OPEN + 3 * 60_000, p(999), 1),
        ];
        s.backfill(&history);
        let c = s.to_vec();
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].start_ms, OPEN);
        let merged = c[2];
        assert_eq!(
            (merged.open, merged.high, merged.low, merged.close),
            (p(102), p(107), p(101), p(106))
        );
        assert_eq!(merged.volume, 30);
    }
}
