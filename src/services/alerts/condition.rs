//! When an alert fires, as a pure function of what it saw before and sees now.
//!
//! - `>=` / `<=` fire whenever the value is at or beyond the target — the first time, and for a
//!   repeating alert again at most once per cooldown while it stays so.
//! - *Crosses above* fires when the value goes from strictly below the target to at or above it
//!   (*crosses below* the mirror). The first value seen only sets where it stands: an alert
//!   armed above its target has not crossed anything. A value that stays at the target, or
//!   moves on from the target further the same way, is not a new crossing.
//! - A one-shot alert fires once. A repeating one fires again only `cooldown` after the last
//!   time; a crossing inside the cooldown is not kept for later.
//! - Outside the active window nothing fires, but where the value stands is still followed, so
//!   a crossing that happened outside it does not fire when the window opens.

use std::cmp::Ordering;

use crate::model::{AlertOperator, AlertRepeat};

/// What the evaluator remembers about one alert between values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Watch {
    /// Where the last value stood against its target.
    pub last: Option<Ordering>,
    /// When it last fired (Unix ms).
    pub last_fired_ms: Option<i64>,
}

/// One value, compared with its target at `now_ms`. `open`: inside the active window.
/// Returns whether the alert fires; `watch` moves on either way.
pub fn step(
    operator: AlertOperator,
    repeat: AlertRepeat,
    watch: &mut Watch,
    value: i64,
    target: i64,
    now_ms: i64,
    open: bool,
) -> bool {
    let side = value.cmp(&target);
    let before = watch.last.replace(side);
    let holds = match operator {
        AlertOperator::AtLeast => side != Ordering::Less,
        AlertOperator::AtMost => side != Ordering::Greater,
        AlertOperator::CrossesAbove => before == Some(Ordering::Less) && side != Ordering::Less,
        AlertOperator::CrossesBelow => {
            before == Some(Ordering::Greater) && side != Ordering::Greater
        }
    };
    if !holds || !open {
        return false;
    }
    let allowed = match (repeat, watch.last_fired_ms) {
        (_, None) => true,
        (AlertRepeat::Once, Some(_)) => false,
        (AlertRepeat::Every { cooldown_secs }, Some(last)) => {
            now_ms.saturating_sub(last) >= i64::from(cooldown_secs) * 1000
        }
    };
    if allowed {
        watch.last_fired_ms = Some(now_ms);
    }
    allowed
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ONCE: AlertRepeat = AlertRepeat::Once;

    /// Feeds `values` one second apart against `target`; the indexes that fired.
    fn run(
        operator: AlertOperator,
        repeat: AlertRepeat,
        target: i64,
        values: &[i64],
    ) -> Vec<usize> {
        let mut watch = Watch::default();
        values
            .iter()
            .enumerate()
            .filter(|(i, v)| {
                step(
                    operator,
                    repeat,
                    &mut watch,
                    **v,
                    target,
                    *i as i64 * 1000,
                    true,
                )
            })
            .map(|(i, _)| i)
            .collect()
    }

    #[test]
    fn crossing_needs_a_value_on_the_other_side_first() {
        // Armed above: staying above and touching it is not a crossing above.
        assert!(run(AlertOperator::CrossesAbove, ONCE, 100, &[105, 100, 110]).is_empty());
        // From below to the target itself is a crossing; onwards above is not another.
        assert_eq!(
            run(AlertOperator::CrossesAbove, ONCE, 100, &[95, 100, 110]),
            [1]
        );
        assert_eq!(
            run(AlertOperator::CrossesBelow, ONCE, 100, &[105, 101, 99]),
            [2]
        );
        // Sitting at the target and leaving it upward is not a crossing above.
        assert!(run(AlertOperator::CrossesAbove, ONCE, 100, &[100, 101]).is_empty());
    }

    #[test]
    fn at_least_fires_at_once_when_it_already_holds() {
        assert_eq!(run(AlertOperator::AtLeast, ONCE, 100, &[100, 120]), [0]);
        assert_eq!(run(AlertOperator::AtMost, ONCE, 100, &[120, 101, 100]), [2]);
    }

    #[test]
    fn a_repeating_alert_waits_its_cooldown() {
        let every_3s = AlertRepeat::Every { cooldown_secs: 3 };
        // Holds throughout: fires at 0 s, 3 s, 6 s.
        assert_eq!(run(AlertOperator::AtLeast, every_3s, 1, &[5; 8]), [0, 3, 6]);
        // Crosses at 1 s, 3 s (inside the cooldown: dropped) and 5 s.
        assert_eq!(
            run(
                AlertOperator::CrossesAbove,
                every_3s,
                10,
                &[9, 10, 9, 11, 9, 12]
            ),
            [1, 5]
        );
    }

    #[test]
    fn outside_the_window_nothing_fires_but_the_side_is_followed() {
        let mut watch = Watch::default();
        let cross = AlertOperator::CrossesAbove;
        assert!(!step(cross, ONCE, &mut watch, 9, 10, 0, false));
        // Crossed while closed: not fired, and not fired later either.
        assert!(!step(cross, ONCE, &mut watch, 11, 10, 1, false));
        assert!(!step(cross, ONCE, &mut watch, 12, 10, 2, true));
        assert!(!step(cross, ONCE, &mut watch, 9, 10, 3, true));
        assert!(step(cross, ONCE, &mut watch, 10, 10, 4, true));
    }

    fn operator() -> impl Strategy<Value = AlertOperator> {
        prop_oneof![
            Just(AlertOperator::AtLeast),
            Just(AlertOperator::AtMost),
            Just(AlertOperator::CrossesAbove),
            Just(AlertOperator::CrossesBelow),
        ]
    }

    proptest! {
        /// A one-shot alert fires at most once, whatever the values.
        #[test]
        fn once_fires_at_most_once(op in operator(), values in prop::collection::vec(-50i64..50, 0..60)) {
            prop_assert!(run(op, ONCE, 0, &values).len() <= 1);
        }

        /// A crossing fires exactly where the value first reaches the target from the other
        /// side: for a one-shot alert, at the first such step and nowhere else.
        #[test]
        fn crosses_above_fires_at_the_first_crossing(values in prop::collection::vec(-20i64..20, 0..60)) {
            let first = values
                .windows(2)
                .position(|w| w[0] < 0 && w[1] >= 0)
                .map(|i| i + 1);
            prop_assert_eq!(run(AlertOperator::CrossesAbove, ONCE, 0, &values).first().copied(), first);
        }

        /// Fires of a repeating alert are never closer than its cooldown, and each is a step
        /// where the condition held.
        #[test]
        fn fires_respect_the_cooldown(
            op in operator(),
            cooldown in 0u32..10,
            values in prop::collection::vec(-10i64..10, 0..80),
        ) {
            let fired = run(op, AlertRepeat::Every { cooldown_secs: cooldown }, 0, &values);
            for pair in fired.windows(2) {
                prop_assert!((pair[1] - pair[0]) as u32 >= cooldown.max(1));
            }
            for i in &fired {
                let holds = match op {
                    AlertOperator::AtLeast => values[*i] >= 0,
                    AlertOperator::AtMost => values[*i] <= 0,
                    AlertOperator::CrossesAbove => *i > 0 && values[i - 1] < 0 && values[*i] >= 0,
                    AlertOperator::CrossesBelow => *i > 0 && values[i - 1] > 0 && values[*i] <= 0,
                };
                prop_assert!(holds, "fired at {} without the condition: {:?}", i, values);
            }
        }
    }
}
