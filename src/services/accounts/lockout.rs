//! When wrong passwords lock an account, and for how long.

/// After `max_failures` wrong passwords in a row the account refuses every sign-in, right
/// password or not, for `lock_ms`; each lock after that doubles, up to `max_lock_ms`. A good
/// sign-in resets the count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub max_failures: u32,
    pub lock_ms: i64,
    pub max_lock_ms: i64,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            max_failures: 5,
            lock_ms: 5 * 60_000,
            max_lock_ms: 60 * 60_000,
        }
    }
}

impl LockoutPolicy {
    /// Until when the account is locked after its `failures`-th wrong password in a row at
    /// `now_ms`, if that locks it.
    pub fn lock_after(&self, failures: u32, now_ms: i64) -> Option<i64> {
        if self.max_failures == 0 || failures < self.max_failures {
            return None;
        }
        if !failures.is_multiple_of(self.max_failures) {
            return None;
        }
        // The 5th failure locks for lock_ms, the 10th for twice that, …
        let locks = (failures / self.max_failures).saturating_sub(1).min(16);
        let duration = self
            .lock_ms
            .saturating_mul(1_i64 << locks)
            .min(self.max_lock_ms);
        Some(now_ms.saturating_add(duration))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_at_every_nth_failure_for_longer_each_time() {
        let policy = LockoutPolicy::default();
        for failures in 1..5 {
            assert_eq!(policy.lock_after(failures, 0), None);
        }
        assert_eq!(policy.lock_after(5, 1_000), Some(1_000 + 300_000));
        assert_eq!(policy.lock_after(6, 0), None);
        assert_eq!(policy.lock_after(10, 0), Some(600_000));
        assert_eq!(policy.lock_after(15, 0), Some(1_200_000));
        // Capped at an hour, however many.
        assert_eq!(policy.lock_after(500, 0), Some(3_600_000));
    }

    #[test]
    fn zero_failures_allowed_means_no_lockout() {
        let policy = LockoutPolicy {
            max_failures: 0,
            ..LockoutPolicy::default()
        };
        assert_eq!(policy.lock_after(100, 0), None);
    }
}
