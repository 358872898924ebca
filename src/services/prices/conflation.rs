//! Conflation: what a subscriber has not taken yet, as the newest value per key. A subscriber
//! that falls behind never holds more than one value per instrument, so memory is bounded by
//! the instruments it follows, and what it takes next is the newest state, not history.

use std::collections::HashMap;
use std::hash::Hash;

#[derive(Debug)]
pub struct ConflatingQueue<K, V> {
    /// Keys in the order they first became pending (fair: a busy instrument does not starve a
    /// quiet one).
    order: Vec<K>,
    values: HashMap<K, V>,
    /// Values replaced before they were taken.
    conflated: u64,
}

impl<K: Copy + Eq + Hash, V> Default for ConflatingQueue<K, V> {
    fn default() -> Self {
        Self {
            order: Vec::new(),
            values: HashMap::new(),
            conflated: 0,
        }
    }
}

impl<K: Copy + Eq + Hash, V> ConflatingQueue<K, V> {
    /// Holds `value` as the newest for `key`. Returns whether the queue was empty before (the
    /// moment to wake the subscriber).
    pub fn push(&mut self, key: K, value: V) -> bool {
        let was_empty = self.order.is_empty();
        if self.values.insert(key, value).is_some() {
            self.conflated += 1;
        } else {
            self.order.push(key);
        }
        was_empty
    }

    /// Takes everything pending, oldest-pending key first.
    pub fn drain(&mut self) -> Vec<V> {
        let order = std::mem::take(&mut self.order);
        let mut out = Vec::with_capacity(order.len());
        for key in order {
            if let Some(value) = self.values.remove(&key) {
                out.push(value);
            }
        }
        out
    }

    /// Drops what is pending for keys no longer wanted.
    pub fn retain(&mut self, mut keep: impl FnMut(&K) -> bool) {
        self.order.retain(|k| keep(k));
        self.values.retain(|k, _| keep(k));
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// How many values were replaced by newer ones before being taken.
    pub fn conflated(&self) -> u64 {
        self.conflated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_subscriber_gets_the_latest_value_per_key() {
        let mut q = ConflatingQueue::default();
        assert!(q.push(1, "a1"));
        assert!(!q.push(2, "b1"));
        for v in ["a2", "a3", "a4"] {
            q.push(1, v);
        }
        q.push(2, "b2");
        assert_eq!(q.len(), 2, "bounded by keys, not by updates");
        assert_eq!(q.drain(), ["a4", "b2"]);
        assert_eq!(q.conflated(), 4);
        assert!(q.is_empty());
    }

    #[test]
    fn a_fast_subscriber_misses_nothing() {
        let mut q = ConflatingQueue::default();
        let mut seen = Vec::new();
        for i in 0..100 {
            assert!(q.push(i % 7, i), "empty again after each drain");
            seen.extend(q.drain());
        }
        assert_eq!(seen, (0..100).collect::<Vec<_>>());
        assert_eq!(q.conflated(), 0);
    }

    #[test]
    fn order_is_first_pending_not_last_updated() {
        let mut q = ConflatingQueue::default();
        q.push('a', 1);
        q.push('b', 2);
        q.push('a', 3);
        assert_eq!(q.drain(), [3, 2]);
    }

    #[test]
    fn retain_forgets_unwanted_keys() {
        let mut q = ConflatingQueue::default();
        q.push(1, 10);
        q.push(2, 20);
        q.retain(|k| *k == 2);
        assert_eq!(q.drain(), [20]);
    }
}
