//! `AlertMonitor`: the watched alerts, indexed by the instruments their conditions read, so a
//! tick evaluates only the alerts on its own instrument (and those comparing against it) —
//! never a scan of every alert. It keeps the latest tick of each watched instrument, for
//! conditions that compare two instruments, and each alert's `Watch` between ticks.

use std::collections::{BTreeSet, HashMap};

use super::condition::{Watch, step};
use crate::model::{Alert, AlertId, AlertRepeat, AlertTarget, InstrumentToken, Price, Tick};
use crate::services::market_calendar::ist_minute_of_day;

/// An alert that fired on a tick: what it saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fired {
    pub alert: AlertId,
    pub at_ms: i64,
    pub value: i64,
    pub target_value: i64,
    pub last_price: Price,
    /// A one-shot alert: no longer watched.
    pub done: bool,
}

struct Watched {
    alert: Alert,
    watch: Watch,
}

#[derive(Default)]
pub struct AlertMonitor {
    watched: HashMap<AlertId, Watched>,
    by_token: HashMap<InstrumentToken, BTreeSet<AlertId>>,
    latest: HashMap<InstrumentToken, Tick>,
}

impl AlertMonitor {
    /// Watches `alert` as it now is (replacing what was watched under its id), or stops
    /// watching it if it is disabled or has fired for good. Its memory of where the value stood
    /// starts afresh — an edited alert is a new condition — from `known`, the latest ticks of
    /// its instruments when it is armed: an alert armed below its target that the next tick
    /// finds above has crossed it.
    pub fn upsert(&mut self, alert: Alert, known: &[Tick]) {
        self.remove(alert.id);
        if !alert.is_watched() {
            return;
        }
        let tokens = alert.condition.tokens();
        for token in &tokens {
            self.by_token.entry(*token).or_default().insert(alert.id);
        }
        for tick in known.iter().filter(|t| tokens.contains(&t.token)) {
            self.latest.entry(tick.token).or_insert(*tick);
        }
        let last = self
            .values(&alert)
            .map(|(value, target)| value.cmp(&target));
        let watch = Watch {
            last,
            // A repeating alert keeps its cooldown across a restart or an edit; a one-shot
            // alert watched again (armed anew) may fire once more.
            last_fired_ms: match alert.repeat {
                AlertRepeat::Once => None,
                AlertRepeat::Every { .. } => alert.last_fired_ms,
            },
        };
        self.watched.insert(alert.id, Watched { alert, watch });
    }

    /// The alert's value and its target from the latest ticks, when both are known.
    fn values(&self, alert: &Alert) -> Option<(i64, i64)> {
        let condition = &alert.condition;
        let value = condition.metric.value(self.latest.get(&condition.token)?)?;
        let target = match &condition.target {
            AlertTarget::Constant { value } => *value,
            AlertTarget::Instrument { token, .. } => {
                condition.metric.value(self.latest.get(token)?)?
            }
        };
        Some((value, target))
    }

    pub fn remove(&mut self, id: AlertId) -> bool {
        let Some(gone) = self.watched.remove(&id) else {
            return false;
        };
        for token in gone.alert.condition.tokens() {
            if let Some(ids) = self.by_token.get_mut(&token) {
                ids.remove(&id);
                if ids.is_empty() {
                    self.by_token.remove(&token);
                    self.latest.remove(&token);
                }
            }
        }
        true
    }

    pub fn len(&self) -> usize {
        self.watched.len()
    }

    pub fn is_empty(&self) -> bool {
        self.watched.is_empty()
    }

    /// The instruments the watched alerts read (for the feed to follow).
    pub fn tokens(&self) -> Vec<InstrumentToken> {
        self.by_token.keys().copied().collect()
    }

    /// One tick at `now_ms`: the alerts it made fire. A one-shot alert that fired is no longer
    /// watched.
    pub fn on_tick(&mut self, tick: &Tick, now_ms: i64) -> Vec<Fired> {
        let Some(ids) = self.by_token.get(&tick.token) else {
            return Vec::new();
        };
        let ids: Vec<AlertId> = ids.iter().copied().collect();
        self.latest.insert(tick.token, *tick);
        let minute = ist_minute_of_day(now_ms);
        let mut fired = Vec::new();
        for id in ids {
            let Some(alert) = self.watched.get(&id).map(|w| &w.alert) else {
                continue;
            };
            // The other instrument has not ticked yet: nothing to compare with.
            let Some((value, target)) = self.values(alert) else {
                continue;
            };
            let last_price = self
                .latest
                .get(&alert.condition.token)
                .map_or(Price::ZERO, |t| t.last_price);
            let Some(entry) = self.watched.get_mut(&id) else {
                continue;
            };
            let condition = &entry.alert.condition;
            let open = entry.alert.window.is_none_or(|w| w.contains(minute));
            if step(
                condition.operator,
                entry.alert.repeat,
                &mut entry.watch,
                value,
                target,
                now_ms,
                open,
            ) {
                fired.push(Fired {
                    alert: id,
                    at_ms: now_ms,
                    value,
                    target_value: target,
                    last_price,
                    done: entry.alert.repeat == AlertRepeat::Once,
                });
            }
        }
        for f in fired.iter().filter(|f| f.done) {
            self.remove(f.alert);
        }
        fired
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        ActiveWindow, AlertCondition, AlertMetric, AlertOperator, AlertState, Exchange, Ohlc,
    };

    fn tick(token: u32, rupees: i64, close: i64) -> Tick {
        Tick {
            token: InstrumentToken(token),
            last_price: Price::from_rupees(rupees).unwrap(),
            last_quantity: 1,
            volume: 1_000,
            ohlc: Ohlc {
                open: Price::ZERO,
                high: Price::ZERO,
                low: Price::ZERO,
                close: Price::from_rupees(close).unwrap(),
            },
            exchange_time_ms: 0,
            depth: None,
        }
    }

    fn alert(id: i64, token: u32, operator: AlertOperator, target: AlertTarget) -> Alert {
        Alert {
            id: AlertId(id),
            condition: AlertCondition {
                token: InstrumentToken(token),
                exchange: Exchange::Nse,
                tradingsymbol: format!("S{token}"),
                metric: AlertMetric::LastPrice,
                operator,
                target,
            },
            repeat: AlertRepeat::Once,
            window: None,
            note: String::new(),
            enabled: true,
            state: AlertState::Armed,
            last_fired_ms: None,
            fired_count: 0,
            created_ms: 0,
            updated_ms: 0,
            created_by: "t".into(),
        }
    }

    fn rupees(r: i64) -> AlertTarget {
        AlertTarget::Constant {
            value: Price::from_rupees(r).unwrap().raw(),
        }
    }

    #[test]
    fn a_tick_reads_only_its_own_instruments_alerts_and_a_one_shot_is_dropped() {
        let mut monitor = AlertMonitor::default();
        monitor.upsert(alert(1, 10, AlertOperator::CrossesAbove, rupees(100)), &[]);
        monitor.upsert(alert(2, 20, AlertOperator::AtLeast, rupees(1)), &[]);
        assert!(monitor.on_tick(&tick(10, 99, 90), 0).is_empty());
        let fired = monitor.on_tick(&tick(10, 101, 90), 1);
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].alert, AlertId(1));
        assert_eq!(fired[0].value, Price::from_rupees(101).unwrap().raw());
        assert!(fired[0].done);
        assert_eq!(monitor.len(), 1, "the one-shot alert is done");
        assert!(monitor.on_tick(&tick(10, 99, 90), 2).is_empty());
        assert!(monitor.on_tick(&tick(10, 105, 90), 3).is_empty());
        assert_eq!(monitor.tokens(), vec![InstrumentToken(20)]);
    }

    #[test]
    fn an_alert_armed_below_its_target_crosses_on_the_first_tick_above() {
        let mut monitor = AlertMonitor::default();
        let crossing = alert(4, 10, AlertOperator::CrossesAbove, rupees(100));
        // Armed while the price is 95: the next tick, at 101, has crossed.
        monitor.upsert(crossing.clone(), &[tick(10, 95, 90)]);
        assert_eq!(monitor.on_tick(&tick(10, 101, 90), 1).len(), 1);
        // Armed while already above: the same tick has crossed nothing.
        monitor.upsert(crossing.clone(), &[tick(10, 105, 90)]);
        assert!(monitor.on_tick(&tick(10, 101, 90), 2).is_empty());
        // Armed again after it fired (it carries its last firing): it may fire once more.
        let mut again = crossing;
        again.last_fired_ms = Some(1);
        again.fired_count = 1;
        monitor.upsert(again, &[tick(10, 95, 90)]);
        assert_eq!(monitor.on_tick(&tick(10, 101, 90), 3).len(), 1);
    }

    #[test]
    fn an_instrument_target_compares_with_the_others_latest_tick() {
        let mut monitor = AlertMonitor::default();
        let other = AlertTarget::Instrument {
            token: InstrumentToken(20),
            exchange: Exchange::Nse,
            tradingsymbol: "S20".into(),
        };
        let mut relative = alert(7, 10, AlertOperator::CrossesAbove, other);
        relative.condition.metric = AlertMetric::ChangePercent;
        monitor.upsert(relative, &[]);
        // No tick of the other yet: nothing to compare with.
        assert!(monitor.on_tick(&tick(10, 101, 100), 0).is_empty());
        // The other is up 2 %, this one 1 %: below.
        assert!(monitor.on_tick(&tick(20, 102, 100), 1).is_empty());
        // This one moves to 3 %: crossed above the other's 2 %.
        let fired = monitor.on_tick(&tick(10, 103, 100), 2);
        assert_eq!(fired.len(), 1);
        assert_eq!((fired[0].value, fired[0].target_value), (300, 200));
        // The other's own tick can make it fire too (covered by the index on both tokens).
        assert!(monitor.is_empty());
    }

    #[test]
    fn a_disabled_or_fired_alert_is_not_watched_and_an_edit_starts_afresh() {
        let mut monitor = AlertMonitor::default();
        let mut a = alert(3, 10, AlertOperator::AtLeast, rupees(100));
        a.enabled = false;
        monitor.upsert(a.clone(), &[]);
        assert!(monitor.is_empty());
        a.enabled = true;
        a.state = AlertState::Fired;
        monitor.upsert(a.clone(), &[]);
        assert!(monitor.is_empty());
        a.state = AlertState::Armed;
        a.window = Some(ActiveWindow {
            from_minute: 0,
            to_minute: 1,
        });
        monitor.upsert(a, &[]);
        // 09:30 IST: outside 00:00–00:01.
        let half_past_nine_ist = 4 * 3_600_000;
        assert!(
            monitor
                .on_tick(&tick(10, 150, 100), half_past_nine_ist)
                .is_empty()
        );
        assert!(monitor.remove(AlertId(3)));
        assert!(monitor.tokens().is_empty());
    }
}
