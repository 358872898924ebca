//! The price book: the latest tick of every instrument the app follows, in display order,
//! turned into `MarketSnapshot`s. The rule for what counts as newer lives here, not in the feed.

use std::collections::HashMap;

use crate::model::{Exchange, InstrumentToken, MarketSnapshot, Quote, Tick};

pub struct PriceBook {
    /// Followed instruments in display order, with the names a screen shows.
    order: Vec<(InstrumentToken, String, Exchange)>,
    latest: HashMap<InstrumentToken, Tick>,
    seq: u64,
}

impl PriceBook {
    pub fn new(instruments: impl IntoIterator<Item = (InstrumentToken, String, Exchange)>) -> Self {
        Self {
            order: instruments.into_iter().collect(),
            latest: HashMap::new(),
            seq: 0,
        }
    }

    /// Applies one batch of ticks (one ticker frame). Ticks for instruments not followed, and
    /// ticks older than the one held, are ignored. Returns whether anything changed; each
    /// batch that changes something advances `seq` by one.
    pub fn apply_batch(&mut self, ticks: impl IntoIterator<Item = Tick>) -> bool {
        let mut changed = false;
        for tick in ticks {
            if !self.order.iter().any(|(token, _, _)| *token == tick.token) {
                continue;
            }
            match self.latest.get(&tick.token) {
                Some(held) if held.exchange_time_ms > tick.exchange_time_ms => {}
                Some(held) if *held == tick => {}
                _ => {
                    self.latest.insert(tick.token, tick);
                    changed = true;
                }
            }
        }
        if changed {
            self.seq += 1;
        }
        changed
    }

    /// Followed instruments that have a price, in display order.
    pub fn snapshot(&self) -> MarketSnapshot {
        MarketSnapshot {
            seq: self.seq,
            quotes: self
                .order
                .iter()
                .filter_map(|(token, symbol, exchange)| {
                    self.latest.get(token).map(|tick| Quote {
                        tradingsymbol: symbol.clone(),
                        exchange: *exchange,
                        tick: *tick,
                    })
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Ohlc, Price};

    fn tick(token: u32, paise: i64, at: i64) -> Tick {
        Tick {
            token: InstrumentToken(token),
            last_price: Price::from_paise(paise).unwrap(),
            last_quantity: 1,
            volume: 10,
            ohlc: Ohlc::default(),
            exchange_time_ms: at,
        }
    }

    fn book() -> PriceBook {
        PriceBook::new([
            (InstrumentToken(2), "B".to_owned(), Exchange::Nse),
            (InstrumentToken(1), "A".to_owned(), Exchange::Nse),
        ])
    }

    #[test]
    fn keeps_the_latest_tick_in_display_order() {
        let mut b = book();
        assert!(b.snapshot().quotes.is_empty());
        assert!(b.apply_batch([tick(1, 100, 1), tick(2, 200, 1)]));
        assert!(b.apply_batch([tick(1, 101, 2)]));
        let s = b.snapshot();
        assert_eq!(s.seq, 2);
        let names: Vec<_> = s.quotes.iter().map(|q| q.tradingsymbol.as_str()).collect();
        assert_eq!(names, ["B", "A"]);
        assert_eq!(
            s.quote(InstrumentToken(1)).unwrap().tick.last_price,
            Price::from_paise(101).unwrap()
        );
    }

    #[test]
    fn ignores_unfollowed_older_and_repeated_ticks() {
        let mut b = book();
        b.apply_batch([tick(1, 100, 5)]);
        assert!(!b.apply_batch([tick(9, 1, 6)]), "not followed");
        assert!(!b.apply_batch([tick(1, 99, 4)]), "older than held");
        assert!(!b.apply_batch([tick(1, 100, 5)]), "the same tick again");
        assert_eq!(b.snapshot().seq, 1);
        assert_eq!(
            b.snapshot().quotes[0].tick.last_price,
            Price::from_paise(100).unwrap()
        );
    }
}
