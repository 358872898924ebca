//! The market calendar: when each exchange trades, in IST (UTC+05:30, no daylight saving).
//! Equity and equity derivatives (NSE, BSE, NFO, BFO) 09:15–15:30; currency (CDS, BCD)
//! 09:00–17:00; commodities (MCX) 09:00–23:30. Weekends and the configured holidays are
//! closed. The demo's simulated market trades around the clock.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use crate::model::{Exchange, MarketSession};

const IST_OFFSET_MS: i64 = (5 * 3600 + 30 * 60) * 1000;
const DAY_MS: i64 = 86_400_000;

/// Minutes after IST midnight at `unix_ms` (0..1440).
pub fn ist_minute_of_day(unix_ms: i64) -> u16 {
    ((unix_ms + IST_OFFSET_MS).rem_euclid(DAY_MS) / 60_000) as u16
}

/// Days since 1970-01-01 in IST at `unix_ms`: two instants share a trading day iff equal.
pub fn ist_day_number(unix_ms: i64) -> i64 {
    (unix_ms + IST_OFFSET_MS).div_euclid(DAY_MS)
}

/// The Unix ms at which IST day `day` (an `ist_day_number`) begins.
pub fn ist_day_start_ms(day: i64) -> i64 {
    day * DAY_MS - IST_OFFSET_MS
}

/// A calendar date in IST.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IstDate {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a date; write holidays as YYYY-MM-DD, e.g. 2026-01-26")]
pub struct DateError(pub String);

impl FromStr for IstDate {
    type Err = DateError;
    fn from_str(text: &str) -> Result<Self, DateError> {
        let bad = || DateError(text.to_owned());
        let mut parts = text.trim().splitn(3, '-');
        let mut next = || parts.next().ok_or_else(bad);
        let year: i32 = next()?.parse().map_err(|_| bad())?;
        let month: u32 = next()?.parse().map_err(|_| bad())?;
        let day: u32 = next()?.parse().map_err(|_| bad())?;
        let date = IstDate { year, month, day };
        // Round-tripping through the day number rejects 2026-02-30 and friends.
        if !(1..=12).contains(&month) || IstDate::from_days(date.days()) != date {
            return Err(bad());
        }
        Ok(date)
    }
}

impl fmt::Display for IstDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl IstDate {
    /// Days since 1970-01-01 (Howard Hinnant's days-from-civil).
    fn days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    fn from_days(days: i64) -> IstDate {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        IstDate { year, month, day }
    }

    /// The IST date at `unix_ms`.
    pub fn at(unix_ms: i64) -> IstDate {
        IstDate::from_days((unix_ms + IST_OFFSET_MS).div_euclid(DAY_MS))
    }

    /// Monday = 0 … Sunday = 6.
    pub fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday.
        (self.days() + 3).rem_euclid(7) as u32
    }

    /// Unix ms of `minute_of_day` (IST) on this date.
    fn unix_ms(self, minute_of_day: i64) -> i64 {
        self.days() * DAY_MS + minute_of_day * 60_000 - IST_OFFSET_MS
    }
}

/// Trading hours of an exchange, as minutes after IST midnight.
fn hours(exchange: Exchange) -> (i64, i64) {
    match exchange {
        Exchange::Nse | Exchange::Bse | Exchange::Nfo | Exchange::Bfo => {
            (9 * 60 + 15, 15 * 60 + 30)
        }
        Exchange::Cds | Exchange::Bcd => (9 * 60, 17 * 60),
        Exchange::Mcx => (9 * 60, 23 * 60 + 30),
    }
}

fn clock(minute_of_day: i64) -> String {
    format!("{:02}:{:02}", minute_of_day / 60, minute_of_day % 60)
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

pub struct MarketCalendar {
    holidays: BTreeSet<IstDate>,
    around_the_clock: bool,
}

impl MarketCalendar {
    pub fn new(holidays: impl IntoIterator<Item = IstDate>) -> Self {
        Self {
            holidays: holidays.into_iter().collect(),
            around_the_clock: false,
        }
    }

    /// The demo's simulated market: always open.
    pub fn around_the_clock() -> Self {
        Self {
            holidays: BTreeSet::new(),
            around_the_clock: true,
        }
    }

    fn trading_day(&self, date: IstDate) -> bool {
        date.weekday() < 5 && !self.holidays.contains(&date)
    }

    pub fn is_open(&self, exchange: Exchange, unix_ms: i64) -> bool {
        self.session(exchange, unix_ms).open
    }

    /// Open or closed at `unix_ms`, and when that changes next.
    pub fn session(&self, exchange: Exchange, unix_ms: i64) -> MarketSession {
        if self.around_the_clock {
            return MarketSession {
                open: true,
                detail: "simulated market, open 24×7".to_owned(),
            };
        }
        let date = IstDate::at(unix_ms);
        let (open, close) = hours(exchange);
        let minute = (unix_ms + IST_OFFSET_MS).rem_euclid(DAY_MS) / 60_000;
        if self.trading_day(date) && (open..close).contains(&minute) {
            return MarketSession {
                open: true,
                detail: format!("closes {} IST", clock(close)),
            };
        }
        let why = if date.weekday() >= 5 {
            "weekend"
        } else if self.holidays.contains(&date) {
            "holiday"
        } else if minute < open {
            "pre-open"
        } else {
            "after hours"
        };
        // The next trading day's open: today if before the open, else a later day.
        let first = date.days() + i64::from(!(self.trading_day(date) && minute < open));
        for day in first..first + 30 {
            let candidate = IstDate::from_days(day);
            if self.trading_day(candidate) {
                let when = if candidate == date {
                    "today".to_owned()
                } else {
                    WEEKDAYS[candidate.weekday() as usize].to_owned()
                };
                return MarketSession {
                    open: false,
                    detail: format!("{why}; opens {when} {} IST", clock(open)),
                };
            }
        }
        MarketSession {
            open: false,
            detail: why.to_owned(),
        }
    }

    /// Unix ms of `exchange`'s close on the IST day of `unix_ms` (whether or not it trades).
    pub fn close_ms(&self, exchange: Exchange, unix_ms: i64) -> i64 {
        IstDate::at(unix_ms).unix_ms(hours(exchange).1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-25 (a Wednesday) 09:15:00 IST.
    const WED_OPEN: i64 = 1_795_578_300_000;
    const MIN: i64 = 60_000;

    fn date(text: &str) -> IstDate {
        text.parse().unwrap()
    }

    #[test]
    fn dates_and_weekdays() {
        assert_eq!(IstDate::at(WED_OPEN), date("2026-11-25"));
        assert_eq!(date("2026-11-25").weekday(), 2);
        assert_eq!(date("2024-02-29").weekday(), 3);
        // 23:59 UTC on the 24th is already the 25th in IST.
        assert_eq!(IstDate::at(WED_OPEN - 226 * MIN), date("2026-11-25"));
        // 18:29 UTC on the 24th is 23:59 IST, still the 24th.
        assert_eq!(IstDate::at(WED_OPEN - 556 * MIN), date("2026-11-24"));
        assert!("2026-02-30".parse::<IstDate>().is_err());
        assert!("26-1-2026x".parse::<IstDate>().is_err());
        assert_eq!(date("2026-01-05").to_string(), "2026-01-05");
    }

    #[test]
    fn equity_hours_are_nine_fifteen_to_three_thirty() {
        let cal = MarketCalendar::new([]);
        assert!(!cal.is_open(Exchange::Nse, WED_OPEN - 1));
        assert!(cal.is_open(Exchange::Nse, WED_OPEN));
        assert!(cal.is_open(Exchange::Nfo, WED_OPEN + 375 * MIN - 1));
        assert!(!cal.is_open(Exchange::Nse, WED_OPEN + 375 * MIN));
        assert!(cal.is_open(Exchange::Mcx, WED_OPEN + 600 * MIN));
        assert_eq!(
            cal.session(Exchange::Nse, WED_OPEN).detail,
            "closes 15:30 IST"
        );
        assert_eq!(
            cal.session(Exchange::Nse, WED_OPEN - 10 * MIN).detail,
            "pre-open; opens today 09:15 IST"
        );
    }

    #[test]
    fn weekends_and_holidays_are_closed() {
        let cal = MarketCalendar::new([date("2026-11-30")]);
        let saturday = WED_OPEN + 3 * DAY_MS + 60 * MIN;
        let s = cal.session(Exchange::Nse, saturday);
        assert!(!s.open);
        // Monday the 30th is a holiday: the next open is Tuesday.
        assert_eq!(s.detail, "weekend; opens Tue 09:15 IST");
        let monday = WED_OPEN + 5 * DAY_MS + 60 * MIN;
        assert_eq!(
            cal.session(Exchange::Nse, monday).detail,
            "holiday; opens Tue 09:15 IST"
        );
        let after = WED_OPEN + 400 * MIN;
        assert_eq!(
            cal.session(Exchange::Nse, after).detail,
            "after hours; opens Thu 09:15 IST"
        );
    }

    #[test]
    fn the_demo_market_never_closes() {
        let cal = MarketCalendar::around_the_clock();
        assert!(cal.is_open(Exchange::Nse, WED_OPEN + 3 * DAY_MS));
    }
}
