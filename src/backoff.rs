//! Reconnect delays: exponential back-off with a ceiling and jitter. Shared by the browser's
//! price stream and the server's Kite ticker, so both back off by the same rule.

/// Delay before reconnect attempt `attempt` (1-based): `base_ms` doubling up to `ceiling_ms`,
/// spread by `jitter` (0.0–1.0, from a random source) over ±20 % so many clients that lost the
/// same server do not all return in the same instant.
pub fn reconnect_delay_ms(attempt: u32, base_ms: u32, ceiling_ms: u32, jitter: f64) -> u32 {
    let exp = attempt.saturating_sub(1).min(20);
    let nominal = base_ms.saturating_mul(1 << exp).min(ceiling_ms);
    let spread = (jitter.clamp(0.0, 1.0) * 0.4 - 0.2) * f64::from(nominal);
    (f64::from(nominal) + spread).round() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_a_ceiling_with_bounded_jitter() {
        let d = |n, j| reconnect_delay_ms(n, 500, 10_000, j);
        assert_eq!(d(1, 0.5), 500);
        assert_eq!(d(2, 0.5), 1_000);
        assert_eq!(d(5, 0.5), 8_000);
        assert_eq!(d(6, 0.5), 10_000);
        assert_eq!(d(u32::MAX, 0.5), 10_000);
        assert_eq!(d(1, 0.0), 400);
        assert_eq!(d(1, 1.0), 600);
        assert_eq!(d(0, 7.0), 600);
        assert_eq!(reconnect_delay_ms(30, u32::MAX, u32::MAX, 0.5), u32::MAX);
    }
}
