//! Whether the broker session still stands. Kite's access token lasts until the next 06:00 IST
//! (Kite flushes every session then); the first broker answer that says the session is gone
//! (Kite's TokenException), or a disconnect, ends it sooner. Once ended the order executor
//! sends nothing — entries and exits alike are refused with the reason, before the broker —
//! levels that cross stay armed, and the workers that send orders show as paused, until a new
//! login starts the next session. The status carries it, so every page shows the banner to
//! reconnect. The daily expiry is read from the clock at every check, not from a timer, so a
//! machine that slept through 06:00 cannot send on a dead token.

use std::sync::{Arc, Mutex};

use crate::model::SessionExpiry;
use crate::ports::Clock;
use crate::services::market_calendar::{ist_day_number, ist_day_start_ms};

/// 06:00 IST, in ms after IST midnight: when Kite ends every session of the day.
const DAILY_EXPIRY_MS: i64 = 6 * 3_600_000;

/// What the daily expiry is reported as.
pub const DAILY_EXPIRY_REASON: &str = "Kite ends every session at 06:00 IST";

/// The first 06:00 IST after `login_ms`: when a session made then ends.
pub fn kite_session_end_ms(login_ms: i64) -> i64 {
    let today = ist_day_start_ms(ist_day_number(login_ms)) + DAILY_EXPIRY_MS;
    if login_ms < today {
        today
    } else {
        today + 86_400_000
    }
}

#[derive(Debug, Default)]
struct State {
    expired: Option<SessionExpiry>,
    /// When the current session ends by itself (Unix ms), if a login started one.
    valid_until_ms: Option<i64>,
}

pub struct BrokerSession {
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

impl std::fmt::Debug for BrokerSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerSession")
            .field("state", &*self.lock())
            .finish()
    }
}

impl BrokerSession {
    /// A session that stands (until `started` gives it its day, or the broker ends it).
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Since when and why the session is gone, if it is (the daily expiry included).
    pub fn expired(&self) -> Option<SessionExpiry> {
        let now = self.clock.now_ms();
        let mut state = self.lock();
        if state.expired.is_none()
            && let Some(until) = state.valid_until_ms
            && now >= until
        {
            state.expired = Some(SessionExpiry {
                since_ms: until,
                reason: DAILY_EXPIRY_REASON.to_owned(),
            });
        }
        state.expired.clone()
    }

    pub fn is_expired(&self) -> bool {
        self.expired().is_some()
    }

    /// Marks it expired; `true` the first time (later reasons keep the first).
    pub fn mark_expired(&self, at_ms: i64, reason: &str) -> bool {
        if self.is_expired() {
            return false;
        }
        self.lock().expired = Some(SessionExpiry {
            since_ms: at_ms,
            reason: reason.to_owned(),
        });
        true
    }

    /// Ends it now with `reason`, replacing any earlier one (the app itself changed what the
    /// session belongs to, so the old reason no longer says what to do).
    pub fn end_now(&self, at_ms: i64, reason: &str) {
        self.lock().expired = Some(SessionExpiry {
            since_ms: at_ms,
            reason: reason.to_owned(),
        });
    }

    /// A login at `login_ms` starts a session, good until the next 06:00 IST. `true` if the
    /// one before had ended (trading resumes).
    pub fn started(&self, login_ms: i64) -> bool {
        let was_expired = self.is_expired();
        let mut state = self.lock();
        state.expired = None;
        state.valid_until_ms = Some(kite_session_end_ms(login_ms));
        was_expired
    }

    /// When the current session ends by itself, if a login started one.
    pub fn valid_until_ms(&self) -> Option<i64> {
        self.lock().valid_until_ms
    }

    /// Why an order is not sent now, if it is not.
    pub fn refusal(&self) -> Option<String> {
        self.expired().map(|e| {
            format!(
                "not sent: the Kite session has ended ({}); connect Kite again on the Settings page",
                e.reason
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, Ordering};

    struct Manual(AtomicI64);
    impl Clock for Manual {
        fn now_ms(&self) -> i64 {
            self.0.load(Ordering::SeqCst)
        }
    }

    /// 2026-12-01 00:00 UTC (05:30 IST).
    const DEC_1_UTC: i64 = 1_796_083_200_000;
    const HOUR: i64 = 3_600_000;
    const MINUTE: i64 = 60_000;

    fn session(at: i64) -> (Arc<Manual>, BrokerSession) {
        let clock = Arc::new(Manual(AtomicI64::new(at)));
        (clock.clone(), BrokerSession::new(clock))
    }

    #[test]
    fn a_session_ends_at_the_first_0600_ist_after_its_login() {
        // 05:30 IST: ends at 06:00 IST the same day (00:30 UTC).
        assert_eq!(kite_session_end_ms(DEC_1_UTC), DEC_1_UTC + 30 * MINUTE);
        // 06:00 IST exactly and 23:59 IST: the next day's 06:00.
        let six = DEC_1_UTC + 30 * MINUTE;
        assert_eq!(kite_session_end_ms(six), six + 24 * HOUR);
        assert_eq!(
            kite_session_end_ms(six + 18 * HOUR - MINUTE),
            six + 24 * HOUR
        );
        // 05:59 IST the next morning: a minute left.
        assert_eq!(
            kite_session_end_ms(six + 24 * HOUR - MINUTE),
            six + 24 * HOUR
        );
    }

    #[test]
    fn the_daily_expiry_ends_it_without_any_broker_answer() {
        // Login at 09:00 IST on 1 December.
        let login = DEC_1_UTC + 3 * HOUR + 30 * MINUTE;
        let (clock, session) = session(login);
        assert!(!session.started(login));
        let end = login + 21 * HOUR;
        clock.0.store(end - 1, Ordering::SeqCst);
        assert!(session.refusal().is_none(), "05:59:59.999 IST still trades");
        clock.0.store(end, Ordering::SeqCst);
        let expired = session.expired().expect("06:00 IST ends it");
        assert_eq!(expired.since_ms, end);
        assert_eq!(expired.reason, DAILY_EXPIRY_REASON);
        assert!(session.refusal().unwrap().contains("06:00 IST"));
        // Long after (a machine that slept): still the daily expiry, from its moment.
        clock.0.store(end + 5 * HOUR, Ordering::SeqCst);
        assert_eq!(session.expired().unwrap().since_ms, end);
        // The morning's login starts the next day.
        assert!(session.started(end + 5 * HOUR));
        assert!(!session.is_expired());
        assert_eq!(session.valid_until_ms(), Some(end + 24 * HOUR));
    }

    #[test]
    fn the_broker_ends_it_once_and_a_login_starts_the_next() {
        let (_, session) = session(DEC_1_UTC);
        assert!(session.refusal().is_none(), "no login yet: nothing to end");
        assert!(session.mark_expired(5, "TokenException: token expired"));
        assert!(!session.mark_expired(9, "later"));
        assert_eq!(session.expired().unwrap().since_ms, 5);
        assert!(session.refusal().unwrap().contains("token expired"));
        // The app itself ending it says the newer reason.
        session.end_now(11, "a new Kite app was saved");
        assert_eq!(
            session.expired().unwrap().reason,
            "a new Kite app was saved"
        );
        assert!(session.started(DEC_1_UTC));
        assert!(!session.is_expired());
        assert!(!session.started(DEC_1_UTC));
    }
}
