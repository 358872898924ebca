//! Instrument search: by trading symbol and name, prefix and fuzzy, ranked. A linear pass over
//! pre-uppercased keys with cheap tests first; for 100k instruments a query takes a few
//! milliseconds (`cargo bench -p server --bench instrument_search`).
//!
//! Ranking, best first: exact symbol; symbol prefix; name prefix; a word of the name starting
//! with the query; symbol containing the query; every word of the query found in the symbol or
//! name (`nifty 24000 ce`); the query's letters in order within the symbol (fuzzy, fewer gaps
//! better). Ties go to cash equities, then indices, futures, options; then shorter symbols.

use std::collections::HashMap;

use crate::model::{Exchange, Instrument, InstrumentToken};

struct Entry {
    symbol: String,
    name: String,
    kind_rank: u32,
}

pub struct InstrumentIndex {
    instruments: Vec<Instrument>,
    entries: Vec<Entry>,
    by_token: HashMap<InstrumentToken, usize>,
    /// `EXCHANGE:SYMBOL` → position, as orders name instruments.
    by_key: HashMap<String, usize>,
}

fn kind_rank(i: &Instrument) -> u32 {
    match (i.segment.as_str(), i.instrument_type.as_str()) {
        ("NSE", "EQ") => 0,
        ("BSE", "EQ") => 1,
        ("INDICES", _) => 2,
        (_, "FUT") => 3,
        (_, "CE" | "PE") => 5,
        _ => 4,
    }
}

/// Letters of `needle` appear in `hay` in order; the score falls with the gaps between them.
fn fuzzy_score(hay: &[u8], needle: &[u8]) -> Option<u32> {
    let mut gaps = 0u32;
    let mut at = 0usize;
    let mut started = false;
    for &n in needle {
        let found = hay[at..].iter().position(|&h| h == n)?;
        if started {
            gaps += found as u32;
        }
        started = true;
        at += found + 1;
    }
    Some(200u32.saturating_sub(gaps * 10))
}

impl InstrumentIndex {
    pub fn new(instruments: Vec<Instrument>) -> Self {
        let entries = instruments
            .iter()
            .map(|i| Entry {
                symbol: i.tradingsymbol.to_uppercase(),
                name: i.name.to_uppercase(),
                kind_rank: kind_rank(i),
            })
            .collect();
        let by_token = instruments
            .iter()
            .enumerate()
            .map(|(at, i)| (i.token, at))
            .collect();
        let by_key = instruments
            .iter()
            .enumerate()
            .map(|(at, i)| (i.key(), at))
            .collect();
        Self {
            instruments,
            entries,
            by_token,
            by_key,
        }
    }

    pub fn len(&self) -> usize {
        self.instruments.len()
    }

    pub fn is_empty(&self) -> bool {
        self.instruments.is_empty()
    }

    pub fn get(&self, token: InstrumentToken) -> Option<&Instrument> {
        self.by_token.get(&token).map(|at| &self.instruments[*at])
    }

    /// The instrument an order names: exchange and exact trading symbol.
    pub fn find(&self, exchange: Exchange, tradingsymbol: &str) -> Option<&Instrument> {
        self.by_key
            .get(&format!("{exchange}:{tradingsymbol}"))
            .map(|at| &self.instruments[*at])
    }

    fn score(entry: &Entry, compact: &str, words: &[&str]) -> Option<u32> {
        let symbol = entry.symbol.as_str();
        if symbol == compact {
            return Some(1_000);
        }
        if symbol.starts_with(compact) {
            return Some(900 - (symbol.len() - compact.len()).min(99) as u32);
        }
        if words.len() == 1 {
            let word = words[0];
            if entry.name.starts_with(word) {
                return Some(800);
            }
            if entry.name.split(' ').any(|w| w.starts_with(word)) {
                return Some(700);
            }
        }
        if let Some(at) = symbol.find(compact) {
            return Some(600 - at.min(99) as u32);
        }
        if words.len() > 1
            && words
                .iter()
                .all(|w| symbol.contains(w) || entry.name.contains(w))
        {
            return Some(500);
        }
        if compact.len() >= 2 {
            return fuzzy_score(symbol.as_bytes(), compact.as_bytes());
        }
        None
    }

    /// The best `limit` matches for `query`, best first. An empty query matches nothing.
    pub fn search(&self, query: &str, limit: usize) -> Vec<&Instrument> {
        let upper = query.trim().to_uppercase();
        let words: Vec<&str> = upper.split_whitespace().collect();
        let compact: String = words.concat();
        if compact.is_empty() || limit == 0 {
            return Vec::new();
        }
        let mut hits: Vec<(u32, u32, usize, usize)> = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(at, e)| {
                Self::score(e, &compact, &words).map(|s| (s, e.kind_rank, e.symbol.len(), at))
            })
            .collect();
        let order = |a: &(u32, u32, usize, usize), b: &(u32, u32, usize, usize)| {
            b.0.cmp(&a.0)
                .then(a.1.cmp(&b.1))
                .then(a.2.cmp(&b.2))
                .then_with(|| self.entries[a.3].symbol.cmp(&self.entries[b.3].symbol))
        };
        if hits.len() > limit {
            hits.select_nth_unstable_by(limit - 1, order);
            hits.truncate(limit);
        }
        hits.sort_unstable_by(order);
        hits.into_iter().map(|h| &self.instruments[h.3]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Exchange, Price};

    fn inst(token: u32, symbol: &str, name: &str, segment: &str, kind: &str) -> Instrument {
        Instrument {
            token: InstrumentToken(token),
            exchange_token: token,
            tradingsymbol: symbol.to_owned(),
            name: name.to_owned(),
            exchange: if segment.starts_with("NFO") {
                Exchange::Nfo
            } else if segment == "BSE" {
                Exchange::Bse
            } else {
                Exchange::Nse
            },
            segment: segment.to_owned(),
            instrument_type: kind.to_owned(),
            tick_size: Price::from_paise(5).unwrap(),
            lot_size: 1,
            expiry: None,
            strike: Price::ZERO,
        }
    }

    fn index() -> InstrumentIndex {
        InstrumentIndex::new(vec![
            inst(1, "INFY", "INFOSYS", "NSE", "EQ"),
            inst(2, "INFY", "INFOSYS", "BSE", "EQ"),
            inst(3, "INFY26DECFUT", "INFY", "NFO-FUT", "FUT"),
            inst(4, "NIFTY 50", "NIFTY 50", "INDICES", "EQ"),
            inst(5, "NIFTY26DEC24000CE", "NIFTY", "NFO-OPT", "CE"),
            inst(6, "RELIANCE", "RELIANCE INDUSTRIES", "NSE", "EQ"),
            inst(7, "TATAMOTORS", "TATA MOTORS", "NSE", "EQ"),
            inst(8, "HDFCBANK", "HDFC BANK", "NSE", "EQ"),
        ])
    }

    fn symbols(hits: Vec<&Instrument>) -> Vec<(String, u32)> {
        hits.into_iter()
            .map(|i| (i.tradingsymbol.clone(), i.token.0))
            .collect()
    }

    #[test]
    fn exact_then_prefix_and_equities_first() {
        let hits = symbols(index().search("infy", 10));
        assert_eq!(
            hits,
            [
                ("INFY".to_owned(), 1),
                ("INFY".to_owned(), 2),
                ("INFY26DECFUT".to_owned(), 3)
            ]
        );
    }

    #[test]
    fn by_name_and_name_word() {
        assert_eq!(
            symbols(index().search("infosys", 1)),
            [("INFY".to_owned(), 1)]
        );
        assert_eq!(
            symbols(index().search("motors", 5)),
            [("TATAMOTORS".to_owned(), 7)]
        );
        assert_eq!(symbols(index().search("bank", 5))[0].0, "HDFCBANK");
    }

    #[test]
    fn words_in_any_order_find_an_option() {
        let hits = symbols(index().search("nifty 24000 ce", 5));
        assert_eq!(hits[0].0, "NIFTY26DEC24000CE");
    }

    #[test]
    fn fuzzy_finds_letters_in_order() {
        let hits = symbols(index().search("rlnc", 5));
        assert_eq!(hits, [("RELIANCE".to_owned(), 6)]);
        assert!(index().search("zzz", 5).is_empty());
    }

    #[test]
    fn empty_query_and_limit() {
        assert!(index().search("   ", 5).is_empty());
        assert_eq!(index().search("i", 2).len(), 2);
        assert_eq!(
            index().get(InstrumentToken(6)).unwrap().tradingsymbol,
            "RELIANCE"
        );
    }
}
