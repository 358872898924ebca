//! When Kite's instruments dump is loaded: daily at 08:45 IST (after Kite publishes the day's
//! dump), and again soon after a failed download rather than only tomorrow.

const DAY_MS: i64 = 86_400_000;
const IST_OFFSET_MS: i64 = 19_800_000;
/// 08:45 IST, in ms after IST midnight.
pub const DAILY_LOAD_AT_IST_MS: i64 = (8 * 60 + 45) * 60_000;
/// After a failed download, try again this soon.
pub const RETRY_AFTER_FAILURE_MS: i64 = 15 * 60_000;

/// Milliseconds from `now_ms` to the next 08:45 IST (a full day when it is exactly 08:45).
pub fn until_next_daily_load(now_ms: i64) -> i64 {
    let ist = now_ms + IST_OFFSET_MS;
    let mut next = ist.div_euclid(DAY_MS) * DAY_MS + DAILY_LOAD_AT_IST_MS;
    if next <= ist {
        next += DAY_MS;
    }
    next - ist
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_daily_load_is_the_coming_0845_ist() {
        // 2026-11-25 03:00 UTC = 08:30 IST → 15 minutes.
        let at_0830_ist = 1_795_575_600_000;
        assert_eq!(until_next_daily_load(at_0830_ist), 15 * 60_000);
        // Exactly 08:45 IST → tomorrow.
        assert_eq!(until_next_daily_load(at_0830_ist + 15 * 60_000), DAY_MS);
        // 09:00 IST → 23 h 45 min.
        assert_eq!(
            until_next_daily_load(at_0830_ist + 30 * 60_000),
            DAY_MS - 15 * 60_000
        );
    }
}
