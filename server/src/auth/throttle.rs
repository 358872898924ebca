//! The sign-in allowance per username (the core's `SignInThrottle`): `auth.sign_in_attempts`
//! attempts at once, then one per `auth.sign_in_retry_seconds`, for every username typed, known
//! or not — so the answer never tells which exist — with governor's keyed rate limiter. Nothing
//! locks: the real user waits at most one interval, and not at all from a browser the account
//! signed in from before (`devices`). In memory, per process: a restart or a second web process
//! gives a guesser a fresh allowance, which the per-address limit still bounds.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use osp_core::ports::SignInThrottle;

/// Past this many usernames tracked, the ones with their whole allowance back are dropped.
const MAX_TRACKED: usize = 10_000;
/// The longest username kept as a key (longer ones are cut; none is valid anyway).
const MAX_KEY_CHARS: usize = 64;

pub struct UsernameThrottle {
    limiter: DefaultKeyedRateLimiter<String>,
}

impl UsernameThrottle {
    pub fn new(attempts: u32, retry: Duration) -> UsernameThrottle {
        let burst = NonZeroU32::new(attempts).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(retry.max(Duration::from_millis(1)))
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        UsernameThrottle {
            limiter: RateLimiter::keyed(quota),
        }
    }
}

impl SignInThrottle for UsernameThrottle {
    fn take(&self, username: &str) -> Result<(), u64> {
        if self.limiter.len() > MAX_TRACKED {
            self.limiter.retain_recent();
        }
        let key: String = username.chars().take(MAX_KEY_CHARS).collect();
        self.limiter.check_key(&key).map_err(|not_until| {
            not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                .max(1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_attempts_then_a_wait_for_known_and_unknown_names_alike() {
        let throttle = UsernameThrottle::new(3, Duration::from_secs(30));
        for name in ["admin", "nobody-by-this-name"] {
            for _ in 0..3 {
                assert_eq!(throttle.take(name), Ok(()));
            }
            let wait = throttle.take(name).unwrap_err();
            assert!((1..=30).contains(&wait), "{wait}");
        }
        // Each name has its own allowance.
        assert_eq!(throttle.take("someone-else"), Ok(()));
    }
}
