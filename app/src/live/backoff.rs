/// Delay before reconnect attempt `attempt` (1-based): 500 ms doubling to a 10 s ceiling,
/// spread by `jitter` (0.0–1.0, from a random source) over ±20 % so many clients that lost the
/// same server do not all return in the same instant.
pub fn reconnect_delay_ms(attempt: u32, jitter: f64) -> u32 {
    const BASE_MS: u32 = 500;
    const CEILING_MS: u32 = 10_000;
    let exp = attempt.saturating_sub(1).min(16);
    let nominal = BASE_MS.saturating_mul(1 << exp).min(CEILING_MS);
    let spread = (jitter.clamp(0.0, 1.0) * 0.4 - 0.2) * f64::from(nominal);
    (f64::from(nominal) + spread).round() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_a_ceiling_with_bounded_jitter() {
        assert_eq!(reconnect_delay_ms(1, 0.5), 500);
        assert_eq!(reconnect_delay_ms(2, 0.5), 1_000);
        assert_eq!(reconnect_delay_ms(5, 0.5), 8_000);
        assert_eq!(reconnect_delay_ms(6, 0.5), 10_000);
        assert_eq!(reconnect_delay_ms(u32::MAX, 0.5), 10_000);
        assert_eq!(reconnect_delay_ms(1, 0.0), 400);
        assert_eq!(reconnect_delay_ms(1, 1.0), 600);
        assert_eq!(reconnect_delay_ms(0, 7.0), 600);
    }
}
