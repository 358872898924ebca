//! `KiteHistory`: the core's `HistoricalPrices` over Kite's historical candles API. Kite takes
//! and returns IST wall-clock times (`2026-11-25 09:15:00`, `2026-11-25T09:15:00+0530`).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, TimeZone};
use osp_core::model::{Candle, InstrumentToken};
use osp_core::ports::HistoricalPrices;

use super::common::enums::Interval;
use super::http::{HistoricalRequest, KiteClient};

fn ist() -> FixedOffset {
    FixedOffset::east_opt(5 * 3600 + 30 * 60).expect("IST is a valid offset")
}

/// `2026-11-25 09:15:00`, the form Kite's `from`/`to` take.
pub fn kite_time(unix_ms: i64) -> String {
    ist()
        .timestamp_millis_opt(unix_ms)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// Unix ms of Kite's `2026-11-25 09:15:00` (IST), as orders and postbacks carry it.
pub fn parse_kite_time(text: &str) -> Option<i64> {
    chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S")
        .ok()?
        .and_local_timezone(ist())
        .single()
        .map(|t| t.timestamp_millis())
}

/// Unix ms of Kite's candle timestamp.
pub fn parse_kite_timestamp(text: &str) -> Option<i64> {
    DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%z")
        .ok()
        .map(|t| t.timestamp_millis())
}

pub struct KiteHistory {
    client: Arc<KiteClient>,
}

impl KiteHistory {
    pub fn new(client: Arc<KiteClient>) -> Self {
        Self { client }
    }
}

#[async_trait]
impl HistoricalPrices for KiteHistory {
    async fn minute_candles(
        &self,
        token: InstrumentToken,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Candle>, String> {
        let request = HistoricalRequest {
            instrument_token: token.0,
            interval: Interval::Minute,
            from: kite_time(from_ms),
            to: kite_time(to_ms),
            continuous: false,
            oi: false,
        };
        let candles = self
            .client
            .historical(&request)
            .await
            .map_err(|e| format!("Kite's historical data: {e}"))?;
        candles
            .candles
            .into_iter()
            .map(|c| {
                let start_ms = parse_kite_timestamp(&c.timestamp)
                    .ok_or_else(|| format!("Kite sent an unreadable time '{}'", c.timestamp))?;
                Ok(Candle {
                    start_ms,
                    open: c.open,
                    high: c.high,
                    low: c.low,
                    close: c.close,
                    volume: u64::try_from(c.volume).unwrap_or(0),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ist_times_both_ways() {
        // 2026-11-25T03:45:00Z is 09:15 IST.
        assert_eq!(kite_time(1_795_578_300_000), "2026-11-25 09:15:00");
        assert_eq!(
            parse_kite_timestamp("2026-11-25T09:15:00+0530"),
            Some(1_795_578_300_000)
        );
        assert_eq!(parse_kite_timestamp("yesterday"), None);
    }
}
