//! `FeedFigures`: the live feed as an operator reads it — each ticker connection's state, how
//! many instruments it follows of how many it could, the tick packets received so far (two
//! readings give the rate) and when the last update came.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedFigures {
    /// One word or phrase per ticker connection: `connected`, `connecting`, `reconnecting
    /// (attempt 3: …)`, `waiting for a Kite login`, …
    pub connections: Vec<String>,
    /// Instruments subscribed on the feed now.
    pub subscribed: usize,
    /// The most it can follow (Kite: 3 connections × 3000 per API key).
    pub capacity: usize,
    /// Tick packets received since start, over all connections.
    pub packets: u64,
    /// When the feed last delivered an update (Unix ms).
    pub last_tick_ms: Option<i64>,
    /// When these figures were read (Unix ms).
    pub at_ms: i64,
}

impl FeedFigures {
    /// Packets per second between an earlier reading and this one.
    pub fn rate_since(&self, earlier: &FeedFigures) -> Option<u64> {
        let ms = self.at_ms - earlier.at_ms;
        let packets = self.packets.checked_sub(earlier.packets)?;
        (ms > 0).then(|| packets * 1000 / ms as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64, packets: u64) -> FeedFigures {
        FeedFigures {
            connections: vec!["connected".into()],
            subscribed: 10,
            capacity: 9000,
            packets,
            last_tick_ms: Some(ms),
            at_ms: ms,
        }
    }

    #[test]
    fn the_rate_is_packets_per_second_between_two_readings() {
        assert_eq!(at(3_000, 500).rate_since(&at(1_000, 100)), Some(200));
        // A restart in between (fewer packets) or the same moment: no rate.
        assert_eq!(at(3_000, 50).rate_since(&at(1_000, 100)), None);
        assert_eq!(at(1_000, 500).rate_since(&at(1_000, 100)), None);
    }
}
