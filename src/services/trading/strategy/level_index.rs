//! `LevelIndex`: every armed level, per instrument, ordered by price, so the levels a move from
//! one price to the next crossed are found with one range query — O(log n + k) for k crossed
//! levels — never a scan of all levels.

use std::collections::{BTreeSet, HashMap};
use std::ops::Bound::{Excluded, Included};

pub use crate::model::LevelId;
use crate::model::{Direction, InstrumentToken, Price};

/// One level a move went through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Crossed {
    pub id: LevelId,
    pub price: Price,
    pub direction: Direction,
}

#[derive(Debug, Default)]
pub struct LevelIndex {
    by_token: HashMap<InstrumentToken, BTreeSet<(Price, LevelId)>>,
    len: usize,
}

impl LevelIndex {
    pub fn insert(&mut self, token: InstrumentToken, price: Price, id: LevelId) -> bool {
        let added = self.by_token.entry(token).or_default().insert((price, id));
        self.len += usize::from(added);
        added
    }

    pub fn remove(&mut self, token: InstrumentToken, price: Price, id: LevelId) -> bool {
        let Some(levels) = self.by_token.get_mut(&token) else {
            return false;
        };
        let removed = levels.remove(&(price, id));
        if levels.is_empty() {
            self.by_token.remove(&token);
        }
        self.len -= usize::from(removed);
        removed
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The levels of `token` that a move from `from` to `to` crossed, in the order the price
    /// passed them. Up: `from < level <= to`; down: `to <= level < from`. A level exactly at
    /// `from` was reached by an earlier move, not this one.
    pub fn crossed(&self, token: InstrumentToken, from: Price, to: Price) -> Vec<Crossed> {
        let Some(levels) = self.by_token.get(&token) else {
            return Vec::new();
        };
        let last = LevelId(i64::MAX);
        let first = LevelId(i64::MIN);
        if from < to {
            levels
                .range((Excluded((from, last)), Included((to, last))))
                .map(|&(price, id)| Crossed {
                    id,
                    price,
                    direction: Direction::Up,
                })
                .collect()
        } else if to < from {
            levels
                .range((Included((to, first)), Excluded((from, first))))
                .rev()
                .map(|&(price, id)| Crossed {
                    id,
                    price,
                    direction: Direction::Down,
                })
                .collect()
        } else {
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T: InstrumentToken = InstrumentToken(1);

    fn p(raw: i64) -> Price {
        Price::from_raw(raw)
    }

    #[test]
    fn finds_levels_between_two_prices_in_passing_order() {
        let mut index = LevelIndex::default();
        for (id, price) in [(1, 100), (2, 105), (3, 110), (4, 110), (5, 120)] {
            index.insert(T, p(price), LevelId(id));
        }
        index.insert(InstrumentToken(2), p(107), LevelId(9));
        let up: Vec<i64> = index
            .crossed(T, p(100), p(110))
            .iter()
            .map(|c| c.id.0)
            .collect();
        assert_eq!(
            up,
            [2, 3, 4],
            "a level at the start price is not crossed again"
        );
        let down: Vec<(i64, Direction)> = index
            .crossed(T, p(121), p(105))
            .iter()
            .map(|c| (c.id.0, c.direction))
            .collect();
        assert_eq!(
            down,
            [
                (5, Direction::Down),
                (4, Direction::Down),
                (3, Direction::Down),
                (2, Direction::Down)
            ]
        );
        assert!(index.crossed(T, p(110), p(110)).is_empty());
        assert!(index.remove(T, p(105), LevelId(2)));
        assert!(!index.remove(T, p(105), LevelId(2)));
        assert_eq!(index.len(), 5);
    }

    proptest! {
        #[test]
        fn agrees_with_a_scan_of_every_level(
            levels in prop::collection::vec((0u32..3, 0i64..60), 0..80),
            path in prop::collection::vec((0u32..3, 0i64..60), 2..60),
        ) {
            let mut index = LevelIndex::default();
            for (n, (token, price)) in levels.iter().enumerate() {
                index.insert(InstrumentToken(*token), p(*price), LevelId(n as i64));
            }
            let mut last: HashMap<u32, i64> = HashMap::new();
            for (token, price) in path {
                if let Some(from) = last.insert(token, price) {
                    let mut expected: Vec<(i64, i64)> = levels
                        .iter()
                        .enumerate()
                        .filter(|(_, (t, l))| {
                            *t == token && ((from < *l && *l <= price) || (price <= *l && *l < from))
                        })
                        .map(|(n, (_, l))| (*l, n as i64))
                        .collect();
                    expected.sort();
                    if price < from {
                        expected.reverse();
                    }
                    let got: Vec<(i64, i64)> = index
                        .crossed(InstrumentToken(token), p(from), p(price))
                        .iter()
                        .map(|c| (c.price.raw(), c.id.0))
                        .collect();
                    prop_assert_eq!(got, expected);
                }
            }
        }
    }
}
