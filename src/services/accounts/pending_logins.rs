//! "Connect Kite" logins in flight: each carries a random state that the callback must bring
//! back. A state is single-use, lasts ten minutes, and at most 64 are kept (the oldest is
//! dropped first), so a callback this server did not ask for — forged, replayed or late — gets
//! nothing whatever else it carries.

use std::collections::HashMap;

use crate::model::UserId;

/// How long a login started with "Connect Kite" may take.
pub const STATE_TTL_MS: i64 = 10 * 60_000;
/// Logins started and not finished, at most.
pub const MAX_PENDING: usize = 64;

/// State → (who started it, until when). The caller makes the state (random) and holds this
/// behind its own lock.
#[derive(Debug, Default)]
pub struct PendingLogins {
    pending: HashMap<String, (UserId, i64)>,
}

impl PendingLogins {
    pub fn new() -> Self {
        Self::default()
    }

    /// `user` started a login with `state` at `now_ms`.
    pub fn begin(&mut self, state: String, user: UserId, now_ms: i64) {
        self.pending.retain(|_, (_, until)| *until > now_ms);
        if self.pending.len() >= MAX_PENDING
            && let Some(oldest) = self
                .pending
                .iter()
                .min_by_key(|(_, (_, until))| *until)
                .map(|(k, _)| k.clone())
        {
            self.pending.remove(&oldest);
        }
        self.pending.insert(state, (user, now_ms + STATE_TTL_MS));
    }

    /// The callback brought `state` at `now_ms`: who started it, once, if it is still fresh.
    pub fn take(&mut self, state: &str, now_ms: i64) -> Option<UserId> {
        self.pending
            .remove(state)
            .filter(|(_, until)| *until > now_ms)
            .map(|(user, _)| user)
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_795_575_600_000;

    #[test]
    fn a_state_is_taken_once() {
        let mut logins = PendingLogins::new();
        logins.begin("abc".into(), UserId(7), T0);
        assert_eq!(logins.take("abc", T0 + 1), Some(UserId(7)));
        assert_eq!(logins.take("abc", T0 + 2), None, "a replayed callback");
        assert_eq!(logins.take("never-started", T0), None);
    }

    #[test]
    fn a_state_lasts_ten_minutes() {
        let mut logins = PendingLogins::new();
        logins.begin("fresh".into(), UserId(1), T0);
        logins.begin("late".into(), UserId(1), T0);
        assert_eq!(logins.take("fresh", T0 + STATE_TTL_MS - 1), Some(UserId(1)));
        assert_eq!(logins.take("late", T0 + STATE_TTL_MS), None);
    }

    #[test]
    fn the_oldest_goes_first_when_full_and_stale_ones_are_swept() {
        let mut logins = PendingLogins::new();
        for i in 0..MAX_PENDING as i64 {
            logins.begin(format!("s{i}"), UserId(i), T0 + i);
        }
        assert_eq!(logins.len(), MAX_PENDING);
        logins.begin("newest".into(), UserId(99), T0 + 100);
        assert_eq!(logins.len(), MAX_PENDING);
        assert_eq!(logins.take("s0", T0 + 101), None, "the oldest was dropped");
        assert_eq!(logins.take("s1", T0 + 101), Some(UserId(1)));
        // Ten minutes on, starting one more sweeps every stale one.
        logins.begin("later".into(), UserId(5), T0 + 200 + STATE_TTL_MS);
        assert_eq!(logins.len(), 1);
    }
}
