//! Kite's timestamps: India Standard Time (UTC+05:30), `YYYY-MM-DD HH:MM:SS`.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};

const IST_SECONDS_EAST: i32 = 5 * 3600 + 30 * 60;

pub fn ist() -> FixedOffset {
    // A constant within chrono's ±24 h range: `east_opt` cannot refuse it.
    FixedOffset::east_opt(IST_SECONDS_EAST).expect("+05:30 is a valid UTC offset")
}

pub fn kite_time(unix_ms: i64) -> String {
    DateTime::from_timestamp_millis(unix_ms)
        .unwrap_or_default()
        .with_timezone(&ist())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// A candle's timestamp as Kite's historical API writes it: `2017-12-15T09:15:00+0530`.
pub fn candle_time(unix_seconds: i64) -> String {
    DateTime::from_timestamp(unix_seconds, 0)
        .unwrap_or_default()
        .with_timezone(&ist())
        .format("%Y-%m-%dT%H:%M:%S%z")
        .to_string()
}

/// `yyyy-mm-dd hh:mm:ss` or `yyyy-mm-dd` (IST) to Unix seconds.
pub fn parse_kite_date(text: &str) -> Option<i64> {
    let text = text.trim();
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    ist()
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ist_text_round_trips() {
        let secs = parse_kite_date("2017-12-15 09:15:00").unwrap();
        assert_eq!(candle_time(secs), "2017-12-15T09:15:00+0530");
        assert_eq!(kite_time(secs * 1000), "2017-12-15 09:15:00");
        assert_eq!(
            parse_kite_date("2017-12-15"),
            Some(secs - 9 * 3600 - 15 * 60)
        );
        assert_eq!(parse_kite_date("15/12/2017"), None);
    }
}
