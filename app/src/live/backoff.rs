/// Delay before the browser's reconnect attempt `attempt` (1-based): 500 ms doubling to a
/// 10 s ceiling, with ±20 % jitter (`jitter` from a random source, 0.0–1.0).
pub fn reconnect_delay_ms(attempt: u32, jitter: f64) -> u32 {
    osp_core::backoff::reconnect_delay_ms(attempt, 500, 10_000, jitter)
}
