//! The trend detector: whether a crossing is real or a whipsaw. Each `Confirmation` a level can
//! choose is a `TrendRule` strategy judging the ticks after the crossing. Every rule cancels
//! the watch when the price returns to the other side of the level.

use crate::model::{Confirmation, Direction, Price};

/// A crossing being confirmed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Watch {
    pub level: Price,
    pub direction: Direction,
    pub started_ms: i64,
    /// Ticks beyond the level so far, the crossing tick included.
    pub ticks_beyond: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Confirmed,
    Pending,
    /// The price went back through the level: not a crossing after all.
    Cancelled,
}

pub trait TrendRule: Send + Sync {
    /// Judges the next tick (the crossing tick first). `watch.ticks_beyond` already counts it.
    fn judge(&self, watch: &Watch, price: Price, at_ms: i64) -> Verdict;
}

/// Beyond means at or past the level in the crossing's direction.
fn beyond(watch: &Watch, price: Price) -> bool {
    match watch.direction {
        Direction::Up => price >= watch.level,
        Direction::Down => price <= watch.level,
    }
}

struct PlainCross;
impl TrendRule for PlainCross {
    fn judge(&self, _: &Watch, _: Price, _: i64) -> Verdict {
        Verdict::Confirmed
    }
}

struct ConsecutiveTicks(u32);
impl TrendRule for ConsecutiveTicks {
    fn judge(&self, watch: &Watch, _: Price, _: i64) -> Verdict {
        if watch.ticks_beyond >= self.0.max(1) {
            Verdict::Confirmed
        } else {
            Verdict::Pending
        }
    }
}

struct TimeBeyond(i64);
impl TrendRule for TimeBeyond {
    fn judge(&self, watch: &Watch, _: Price, at_ms: i64) -> Verdict {
        if at_ms.saturating_sub(watch.started_ms) >= self.0 {
            Verdict::Confirmed
        } else {
            Verdict::Pending
        }
    }
}

struct PriceBuffer(Price);
impl TrendRule for PriceBuffer {
    fn judge(&self, watch: &Watch, price: Price, _: i64) -> Verdict {
        let target = match watch.direction {
            Direction::Up => watch.level.checked_add(self.0),
            Direction::Down => watch.level.checked_sub(self.0),
        };
        let reached = match (watch.direction, target) {
            (Direction::Up, Some(t)) => price >= t,
            (Direction::Down, Some(t)) => price <= t,
            (_, None) => false,
        };
        if reached {
            Verdict::Confirmed
        } else {
            Verdict::Pending
        }
    }
}

/// Applies the common rule (back through the level cancels), then the strategy.
pub fn judge(rule: &dyn TrendRule, watch: &Watch, price: Price, at_ms: i64) -> Verdict {
    if !beyond(watch, price) {
        return Verdict::Cancelled;
    }
    rule.judge(watch, price, at_ms)
}

/// The strategy for a level's confirmation setting.
pub fn rule_for(confirmation: Confirmation) -> Box<dyn TrendRule> {
    match confirmation {
        Confirmation::Cross => Box::new(PlainCross),
        Confirmation::Ticks { count } => Box::new(ConsecutiveTicks(count)),
        Confirmation::Seconds { seconds } => Box::new(TimeBeyond(i64::from(seconds) * 1_000)),
        Confirmation::Buffer { distance } => Box::new(PriceBuffer(distance)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(rupees: i64) -> Price {
        Price::from_rupees(rupees).unwrap()
    }

    fn run(confirmation: Confirmation, direction: Direction, path: &[(i64, i64)]) -> Vec<Verdict> {
        let rule = rule_for(confirmation);
        let mut watch = Watch {
            level: p(100),
            direction,
            started_ms: path[0].1,
            ticks_beyond: 0,
        };
        path.iter()
            .map(|&(price, at)| {
                watch.ticks_beyond += 1;
                judge(rule.as_ref(), &watch, p(price), at)
            })
            .collect()
    }

    #[test]
    fn plain_cross_confirms_on_the_crossing_tick() {
        assert_eq!(
            run(Confirmation::Cross, Direction::Up, &[(100, 0)]),
            [Verdict::Confirmed]
        );
    }

    #[test]
    fn consecutive_ticks_need_n_ticks_beyond_and_cancel_on_return() {
        let three = Confirmation::Ticks { count: 3 };
        assert_eq!(
            run(three, Direction::Up, &[(101, 0), (102, 1), (100, 2)]),
            [Verdict::Pending, Verdict::Pending, Verdict::Confirmed]
        );
        assert_eq!(
            run(three, Direction::Up, &[(101, 0), (99, 1)]),
            [Verdict::Pending, Verdict::Cancelled]
        );
        assert_eq!(
            run(three, Direction::Down, &[(99, 0), (98, 1), (97, 2)]),
            [Verdict::Pending, Verdict::Pending, Verdict::Confirmed]
        );
    }

    #[test]
    fn time_beyond_needs_a_tick_after_the_delay() {
        let five = Confirmation::Seconds { seconds: 5 };
        assert_eq!(
            run(five, Direction::Down, &[(99, 0), (98, 4_999), (99, 5_000)]),
            [Verdict::Pending, Verdict::Pending, Verdict::Confirmed]
        );
        assert_eq!(
            run(five, Direction::Down, &[(99, 0), (101, 6_000)]),
            [Verdict::Pending, Verdict::Cancelled]
        );
    }

    #[test]
    fn a_buffer_needs_the_distance_past_the_level() {
        let two = Confirmation::Buffer { distance: p(2) };
        assert_eq!(
            run(two, Direction::Up, &[(101, 0), (102, 1)]),
            [Verdict::Pending, Verdict::Confirmed]
        );
        assert_eq!(
            run(two, Direction::Down, &[(97, 0)]),
            [Verdict::Confirmed],
            "a jump past the buffer confirms at once"
        );
    }
}
