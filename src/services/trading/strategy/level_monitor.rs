//! `LevelMonitor`: watches ticks against armed levels. A move's crossings come from the
//! `LevelIndex`; each crossing of a level in its trigger direction starts a `Watch` judged by
//! the level's trend rule; a confirmed crossing triggers the level once and disarms it (it
//! leaves the index) until it is re-armed. A tick costs O(log n + k) for k crossed levels plus
//! the levels of that instrument still being confirmed.
//!
//! Events are values for the caller to persist (the audit log) and act on; the monitor keeps
//! no IO. Re-arm policies, time windows and the restart rule ("a crossing that fired never
//! fires again") are applied by the caller through `rearm`, `remove` and the states it stores.

use std::collections::HashMap;

use crate::model::{Confirmation, Direction, InstrumentToken, LevelTrigger, Price};

use super::level_index::{LevelId, LevelIndex};
use super::trend::{TrendRule, Verdict, Watch, judge, rule_for};

/// What the monitor needs of a level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LevelSpec {
    pub id: LevelId,
    pub token: InstrumentToken,
    pub price: Price,
    pub trigger: LevelTrigger,
    pub confirmation: Confirmation,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LevelState {
    Armed,
    Confirming(Watch),
    /// Triggered; waits to be re-armed.
    Disarmed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LevelEvent {
    /// The price went through the level in a direction it triggers on.
    Crossed {
        id: LevelId,
        direction: Direction,
        price: Price,
        at_ms: i64,
    },
    /// The crossing was confirmed: act on it (place the order). At most once per arm.
    Triggered {
        id: LevelId,
        direction: Direction,
        price: Price,
        at_ms: i64,
    },
    /// The price went back before the crossing was confirmed.
    Cancelled {
        id: LevelId,
        price: Price,
        at_ms: i64,
    },
}

struct Tracked {
    spec: LevelSpec,
    rule: Box<dyn TrendRule>,
    state: LevelState,
}

#[derive(Default)]
pub struct LevelMonitor {
    index: LevelIndex,
    levels: HashMap<LevelId, Tracked>,
    last: HashMap<InstrumentToken, Price>,
    confirming: HashMap<InstrumentToken, Vec<LevelId>>,
}

impl LevelMonitor {
    /// Adds (or replaces) a level, armed.
    pub fn add(&mut self, spec: LevelSpec) {
        self.remove(spec.id);
        self.index.insert(spec.token, spec.price, spec.id);
        self.levels.insert(
            spec.id,
            Tracked {
                spec,
                rule: rule_for(spec.confirmation),
                state: LevelState::Armed,
            },
        );
    }

    /// Adds a level in the state it was stored in (after a restart a triggered level stays
    /// disarmed, so its crossing never fires twice).
    pub fn restore(&mut self, spec: LevelSpec, armed: bool) {
        self.add(spec);
        if !armed {
            self.disarm(spec.id);
        }
    }

    pub fn remove(&mut self, id: LevelId) -> bool {
        let Some(tracked) = self.levels.remove(&id) else {
            return false;
        };
        let spec = tracked.spec;
        self.index.remove(spec.token, spec.price, id);
        self.stop_confirming(spec.token, id);
        true
    }

    fn disarm(&mut self, id: LevelId) {
        if let Some(tracked) = self.levels.get_mut(&id) {
            tracked.state = LevelState::Disarmed;
            let spec = tracked.spec;
            self.index.remove(spec.token, spec.price, id);
            self.stop_confirming(spec.token, id);
        }
    }

    fn stop_confirming(&mut self, token: InstrumentToken, id: LevelId) {
        if let Some(ids) = self.confirming.get_mut(&token) {
            ids.retain(|i| *i != id);
            if ids.is_empty() {
                self.confirming.remove(&token);
            }
        }
    }

    /// Arms a disarmed level again; `false` if it is unknown or already armed.
    pub fn rearm(&mut self, id: LevelId) -> bool {
        let Some(tracked) = self.levels.get_mut(&id) else {
            return false;
        };
        if tracked.state != LevelState::Disarmed {
            return false;
        }
        tracked.state = LevelState::Armed;
        let spec = tracked.spec;
        self.index.insert(spec.token, spec.price, id);
        true
    }

    pub fn state(&self, id: LevelId) -> Option<LevelState> {
        self.levels.get(&id).map(|t| t.state)
    }

    /// The levels whose crossing is being confirmed now, by id.
    pub fn confirming(&self) -> Vec<LevelId> {
        let mut ids: Vec<LevelId> = self
            .levels
            .iter()
            .filter(|(_, t)| matches!(t.state, LevelState::Confirming(_)))
            .map(|(id, _)| *id)
            .collect();
        ids.sort();
        ids
    }

    /// Levels armed or being confirmed.
    pub fn armed(&self) -> usize {
        self.index.len()
    }

    /// One tick of `token`. The first tick of an instrument only sets where it is.
    pub fn on_tick(&mut self, token: InstrumentToken, price: Price, at_ms: i64) -> Vec<LevelEvent> {
        let mut events = Vec::new();
        let Some(previous) = self.last.insert(token, price) else {
            return events;
        };
        // Crossings being confirmed see this tick first: a return through the level cancels,
        // and may then be a new crossing the other way (below).
        let waiting = self.confirming.remove(&token).unwrap_or_default();
        let mut still = Vec::new();
        for id in waiting {
            let Some(tracked) = self.levels.get_mut(&id) else {
                continue;
            };
            let LevelState::Confirming(mut watch) = tracked.state else {
                continue;
            };
            watch.ticks_beyond += 1;
            match judge(tracked.rule.as_ref(), &watch, price, at_ms) {
                Verdict::Confirmed => {
                    events.push(LevelEvent::Triggered {
                        id,
                        direction: watch.direction,
                        price,
                        at_ms,
                    });
                    tracked.state = LevelState::Disarmed;
                    self.index
                        .remove(tracked.spec.token, tracked.spec.price, id);
                }
                Verdict::Pending => {
                    tracked.state = LevelState::Confirming(watch);
                    still.push(id);
                }
                Verdict::Cancelled => {
                    tracked.state = LevelState::Armed;
                    events.push(LevelEvent::Cancelled { id, price, at_ms });
                }
            }
        }
        for crossed in self.index.crossed(token, previous, price) {
            let Some(tracked) = self.levels.get_mut(&crossed.id) else {
                continue;
            };
            if tracked.state != LevelState::Armed
                || !tracked.spec.trigger.accepts(crossed.direction)
            {
                continue;
            }
            events.push(LevelEvent::Crossed {
                id: crossed.id,
                direction: crossed.direction,
                price,
                at_ms,
            });
            let watch = Watch {
                level: crossed.price,
                direction: crossed.direction,
                started_ms: at_ms,
                ticks_beyond: 1,
            };
            match judge(tracked.rule.as_ref(), &watch, price, at_ms) {
                Verdict::Confirmed => {
                    events.push(LevelEvent::Triggered {
                        id: crossed.id,
                        direction: crossed.direction,
                        price,
                        at_ms,
                    });
                    tracked.state = LevelState::Disarmed;
                    self.index.remove(token, crossed.price, crossed.id);
                }
                // A crossing tick is beyond its level by definition; Cancelled cannot happen.
                Verdict::Pending | Verdict::Cancelled => {
                    tracked.state = LevelState::Confirming(watch);
                    still.push(crossed.id);
                }
            }
        }
        if !still.is_empty() {
            self.confirming.insert(token, still);
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T: InstrumentToken = InstrumentToken(7);

    fn p(rupees: i64) -> Price {
        Price::from_rupees(rupees).unwrap()
    }

    fn level(id: i64, price: i64, trigger: LevelTrigger, confirmation: Confirmation) -> LevelSpec {
        LevelSpec {
            id: LevelId(id),
            token: T,
            price: p(price),
            trigger,
            confirmation,
        }
    }

    fn triggered(events: &[LevelEvent]) -> Vec<(i64, Direction)> {
        events
            .iter()
            .filter_map(|e| match e {
                LevelEvent::Triggered { id, direction, .. } => Some((id.0, *direction)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_crossing_triggers_once_until_rearmed() {
        let mut m = LevelMonitor::default();
        m.add(level(1, 100, LevelTrigger::Up, Confirmation::Cross));
        m.add(level(2, 95, LevelTrigger::Down, Confirmation::Cross));
        assert!(
            m.on_tick(T, p(98), 0).is_empty(),
            "the first tick sets the price"
        );
        assert_eq!(triggered(&m.on_tick(T, p(101), 1)), [(1, Direction::Up)]);
        assert_eq!(m.state(LevelId(1)), Some(LevelState::Disarmed));
        m.on_tick(T, p(99), 2);
        assert!(triggered(&m.on_tick(T, p(101), 3)).is_empty(), "disarmed");
        assert!(m.rearm(LevelId(1)));
        assert!(!m.rearm(LevelId(1)));
        m.on_tick(T, p(99), 4);
        assert_eq!(triggered(&m.on_tick(T, p(100), 5)), [(1, Direction::Up)]);
        // The down level ignores up moves and fires on its own crossing.
        assert_eq!(triggered(&m.on_tick(T, p(90), 6)), [(2, Direction::Down)]);
    }

    #[test]
    fn a_whipsaw_is_cancelled_and_a_real_move_confirmed() {
        let mut m = LevelMonitor::default();
        m.add(level(
            1,
            100,
            LevelTrigger::Either,
            Confirmation::Ticks { count: 2 },
        ));
        m.on_tick(T, p(99), 0);
        let events = m.on_tick(T, p(101), 1);
        assert!(matches!(events[..], [LevelEvent::Crossed { .. }]));
        // Back below: cancelled, and that is a down crossing that starts its own watch.
        let events = m.on_tick(T, p(98), 2);
        assert!(matches!(
            events[..],
            [
                LevelEvent::Cancelled { .. },
                LevelEvent::Crossed {
                    direction: Direction::Down,
                    ..
                }
            ]
        ));
        assert_eq!(triggered(&m.on_tick(T, p(97), 3)), [(1, Direction::Down)]);
    }

    #[test]
    fn a_restored_triggered_level_does_not_fire_again() {
        let mut m = LevelMonitor::default();
        m.restore(level(1, 100, LevelTrigger::Up, Confirmation::Cross), false);
        m.on_tick(T, p(99), 0);
        assert!(m.on_tick(T, p(101), 1).is_empty());
        assert_eq!(m.armed(), 0);
    }

    proptest! {
        /// With plain crossings, a level triggers exactly when the path first crosses it in its
        /// direction, and never twice without a re-arm — whatever the other levels do.
        #[test]
        fn each_level_fires_at_most_once_per_arm_and_when_the_oracle_says(
            levels in prop::collection::vec((90i64..110, 0u8..3, 0u8..4), 1..40),
            path in prop::collection::vec(85i64..115, 2..80),
        ) {
            let mut m = LevelMonitor::default();
            let triggers = [LevelTrigger::Up, LevelTrigger::Down, LevelTrigger::Either];
            let rules = [
                Confirmation::Cross,
                Confirmation::Ticks { count: 2 },
                Confirmation::Seconds { seconds: 1 },
                Confirmation::Buffer { distance: p(1) },
            ];
            for (n, (price, trigger, rule)) in levels.iter().enumerate() {
                m.add(level(n as i64, *price, triggers[*trigger as usize], rules[*rule as usize]));
            }
            let mut fired: HashMap<i64, u32> = HashMap::new();
            for (n, price) in path.iter().enumerate() {
                for (id, _) in triggered(&m.on_tick(T, p(*price), n as i64 * 600)) {
                    *fired.entry(id).or_default() += 1;
                }
            }
            for (n, (price, trigger, rule)) in levels.iter().enumerate() {
                let count = fired.get(&(n as i64)).copied().unwrap_or(0);
                prop_assert!(count <= 1, "level {} fired {} times", n, count);
                if *rule == 0 {
                    let t = triggers[*trigger as usize];
                    let crossed = path.windows(2).any(|w| {
                        (t.accepts(Direction::Up) && w[0] < *price && *price <= w[1])
                            || (t.accepts(Direction::Down) && w[1] <= *price && *price < w[0])
                    });
                    prop_assert_eq!(count == 1, crossed, "level {} at {}", n, price);
                }
            }
        }
    }
}
