//! The demo market: a seeded random walk over a handful of NSE instruments, producing ticks on
//! each instrument's tick grid. Deterministic for a given seed, so tests can rely on it. The
//! Kite simulator replaces it as the demo data source in later work.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::model::{Exchange, InstrumentToken, MarketSnapshot, Ohlc, Price, Quote, Tick};

/// An instrument the demo market streams, with the previous close it starts from.
#[derive(Clone, Debug)]
pub struct DemoInstrument {
    pub token: InstrumentToken,
    pub tradingsymbol: String,
    pub exchange: Exchange,
    pub tick_size: Price,
    pub previous_close: Price,
}

/// The default demo universe: real NSE instrument tokens and plausible prices.
pub fn demo_instruments() -> Vec<DemoInstrument> {
    let five_paise = Price::from_raw(500);
    [
        (256_265, "NIFTY 50", 2_412_550),
        (260_105, "NIFTY BANK", 5_231_040),
        (738_561, "RELIANCE", 129_870),
        (408_065, "INFY", 187_415),
        (341_249, "HDFCBANK", 174_630),
        (2_953_217, "TCS", 412_005),
        (779_521, "SBIN", 81_240),
    ]
    .into_iter()
    .map(|(token, symbol, close_paise)| DemoInstrument {
        token: InstrumentToken(token),
        tradingsymbol: symbol.to_owned(),
        exchange: Exchange::Nse,
        tick_size: five_paise,
        previous_close: Price::from_paise(close_paise).unwrap_or(Price::ZERO),
    })
    .collect()
}

pub struct DemoMarket {
    rng: SmallRng,
    instruments: Vec<DemoInstrument>,
    quotes: Vec<Quote>,
    seq: u64,
    /// Instruments a price was put on by hand: the walk leaves them there until released.
    held: std::collections::HashSet<InstrumentToken>,
}

impl DemoMarket {
    pub fn new(seed: u64, instruments: Vec<DemoInstrument>, start_ms: i64) -> Self {
        let quotes = instruments
            .iter()
            .map(|i| Quote {
                tradingsymbol: i.tradingsymbol.clone(),
                exchange: i.exchange,
                tick: Tick {
                    token: i.token,
                    last_price: i.previous_close,
                    last_quantity: 0,
                    volume: 0,
                    ohlc: Ohlc {
                        open: i.previous_close,
                        high: i.previous_close,
                        low: i.previous_close,
                        close: i.previous_close,
                    },
                    exchange_time_ms: start_ms,
                    depth: None,
                },
            })
            .collect();
        Self {
            rng: SmallRng::seed_from_u64(seed),
            instruments,
            quotes,
            seq: 0,
            held: std::collections::HashSet::new(),
        }
    }

    /// The current state without moving the market.
    pub fn snapshot(&self) -> MarketSnapshot {
        MarketSnapshot {
            seq: self.seq,
            quotes: self.quotes.clone(),
        }
    }

    /// Puts a trade at `price` on one instrument (tests and the simulator's controls move the
    /// market to a level this way) and holds it there: the walk leaves it until the next price
    /// put on it or `release`, so whoever watches sees exactly this price. False if the token
    /// is not in this market.
    pub fn set_last_price(&mut self, token: InstrumentToken, price: Price, now_ms: i64) -> bool {
        let Some(quote) = self.quotes.iter_mut().find(|q| q.tick.token == token) else {
            return false;
        };
        let tick = &mut quote.tick;
        tick.last_price = price;
        tick.last_quantity = 1;
        tick.volume = tick.volume.saturating_add(1);
        tick.ohlc = tick.ohlc.with_trade(price);
        tick.exchange_time_ms = now_ms;
        self.held.insert(token);
        self.seq += 1;
        true
    }

    /// The walk moves `token` again from where it was held.
    pub fn release(&mut self, token: InstrumentToken) {
        self.held.remove(&token);
    }

    /// Moves every instrument by a few basis points (on its tick grid, pulled back towards the
    /// previous close beyond ±4 %) and returns the new snapshot.
    pub fn step(&mut self, now_ms: i64) -> MarketSnapshot {
        for (inst, quote) in self.instruments.iter().zip(self.quotes.iter_mut()) {
            let tick = &mut quote.tick;
            let drift_bp = match tick.change_basis_points() {
                Some(bp) if bp > 400 => -3,
                Some(bp) if bp < -400 => 3,
                _ => 0,
            };
            let move_bp: i64 = self.rng.random_range(-8..=8) + drift_bp;
            let quantity: u32 = self.rng.random_range(1..=500);
            // Drawn all the same: holding one instrument leaves the others' walk as it was.
            if self.held.contains(&inst.token) {
                continue;
            }
            let delta = Price::from_raw(tick.last_price.raw() * move_bp / 10_000);
            let next = tick
                .last_price
                .checked_add(delta)
                .and_then(|p| p.round_to_tick(inst.tick_size))
                .filter(|p| p.raw() > 0)
                .unwrap_or(tick.last_price);
            tick.last_price = next;
            tick.last_quantity = quantity;
            tick.volume = tick.volume.saturating_add(u64::from(quantity));
            tick.ohlc = tick.ohlc.with_trade(next);
            tick.exchange_time_ms = now_ms;
        }
        self.seq += 1;
        self.snapshot()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_walk_and_prices_stay_on_the_tick_grid() {
        let mut a = DemoMarket::new(7, demo_instruments(), 0);
        let mut b = DemoMarket::new(7, demo_instruments(), 0);
        for i in 1..=500 {
            let sa = a.step(i);
            assert_eq!(sa, b.step(i));
            assert_eq!(sa.seq, i as u64);
            for q in &sa.quotes {
                assert!(q.tick.last_price.is_multiple_of(Price::from_raw(500)));
                assert!(q.tick.ohlc.low <= q.tick.last_price);
                assert!(q.tick.last_price <= q.tick.ohlc.high);
                assert_eq!(q.tick.exchange_time_ms, i);
            }
        }
    }

    #[test]
    fn a_set_price_is_traded_and_counted() {
        let mut m = DemoMarket::new(1, demo_instruments(), 0);
        let infy = InstrumentToken(408_065);
        let price = Price::from_rupees(2_000).unwrap();
        assert!(m.set_last_price(infy, price, 9));
        let snap = m.snapshot();
        assert_eq!(snap.seq, 1);
        let q = snap.quote(infy).unwrap();
        assert_eq!(q.tick.last_price, price);
        assert_eq!(q.tick.ohlc.high, price);
        assert!(!m.set_last_price(InstrumentToken(1), price, 9));
    }

    #[test]
    fn the_market_moves_and_stays_near_the_previous_close() {
        let mut m = DemoMarket::new(1, demo_instruments(), 0);
        let first = m.snapshot();
        let mut last = first.clone();
        for i in 1..=5_000 {
            last = m.step(i);
        }
        assert_ne!(first.quotes, last.quotes);
        for q in &last.quotes {
            let bp = q.tick.change_basis_points().unwrap();
            assert!(bp.abs() < 800, "{} drifted {bp} bp", q.tradingsymbol);
            assert!(q.tick.volume > 0);
        }
    }

    #[test]
    fn a_price_put_by_hand_holds_until_released_and_the_others_walk_on_as_before() {
        let infy = InstrumentToken(408_065);
        let held_at = Price::from_raw(15_000_000);
        let mut held = DemoMarket::new(7, demo_instruments(), 0);
        let mut free = DemoMarket::new(7, demo_instruments(), 0);
        assert!(held.set_last_price(infy, held_at, 0));
        let price_of = |s: &MarketSnapshot, t: InstrumentToken| {
            s.quotes
                .iter()
                .find(|q| q.tick.token == t)
                .unwrap()
                .tick
                .last_price
        };
        let sbin = InstrumentToken(779_521);
        for i in 1..=50 {
            let (h, f) = (held.step(i), free.step(i));
            assert_eq!(price_of(&h, infy), held_at, "held at step {i}");
            assert_eq!(price_of(&h, sbin), price_of(&f, sbin), "others unchanged");
        }
        held.release(infy);
        let moved = (51..=60).any(|i| price_of(&held.step(i), infy) != held_at);
        assert!(moved, "released, it walks again");
    }
}
