//! `Price`: a rupee amount in fixed point. Every price and money value in the system is one of
//! these; `f64` never carries money. Owns parsing (with Indian or international digit grouping),
//! display in Indian grouping (`1,23,456.70`) and overflow-checked arithmetic.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::format::indian_grouping;

/// A price in rupees with four decimal places: one raw unit is ₹0.0001.
///
/// Four places cover every Kite segment (equity ticks are ₹0.05 or ₹0.01, currency ticks
/// ₹0.0025). The raw value is an `i64`, so the range (±9.2 × 10¹⁴ rupees) is far beyond any
/// price or position value; arithmetic is still checked and reports overflow as `None`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Price {
    raw: i64,
}

/// Why a piece of text is not a price.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    #[error("a price is required")]
    Empty,
    #[error("'{0}' is not allowed in a price; use digits, one '.', and optional ',' grouping")]
    InvalidCharacter(char),
    #[error("a price has at most {max} decimal places")]
    TooManyDecimals { max: u32 },
    #[error("digit grouping is misplaced; write 123456.70, 1,23,456.70 or 123,456.70")]
    MisplacedGrouping,
    #[error("the price is too large")]
    Overflow,
}

impl Price {
    /// Decimal places carried by the raw value.
    pub const DECIMALS: u32 = 4;
    /// Raw units per rupee.
    pub const SCALE: i64 = 10_000;
    pub const ZERO: Price = Price { raw: 0 };

    pub const fn from_raw(raw: i64) -> Self {
        Self { raw }
    }

    pub const fn raw(self) -> i64 {
        self.raw
    }

    /// From whole paise (1/100 rupee), the unit of Kite's binary ticker for equity segments.
    pub fn from_paise(paise: i64) -> Option<Self> {
        paise.checked_mul(Self::SCALE / 100).map(Self::from_raw)
    }

    /// From whole rupees.
    pub fn from_rupees(rupees: i64) -> Option<Self> {
        rupees.checked_mul(Self::SCALE).map(Self::from_raw)
    }

    pub fn is_negative(self) -> bool {
        self.raw < 0
    }

    pub fn is_zero(self) -> bool {
        self.raw == 0
    }

    pub fn checked_add(self, other: Price) -> Option<Price> {
        self.raw.checked_add(other.raw).map(Self::from_raw)
    }

    pub fn checked_sub(self, other: Price) -> Option<Price> {
        self.raw.checked_sub(other.raw).map(Self::from_raw)
    }

    /// Price × a whole quantity (e.g. the value of a position).
    pub fn checked_mul_int(self, quantity: i64) -> Option<Price> {
        self.raw.checked_mul(quantity).map(Self::from_raw)
    }

    pub fn checked_abs(self) -> Option<Price> {
        self.raw.checked_abs().map(Self::from_raw)
    }

    /// Whether this price lies on the grid of `tick` (a positive tick size).
    pub fn is_multiple_of(self, tick: Price) -> bool {
        tick.raw > 0 && self.raw % tick.raw == 0
    }

    /// The nearest multiple of `tick`, halves rounded away from zero. `None` for a tick that is
    /// not positive, or on overflow.
    pub fn round_to_tick(self, tick: Price) -> Option<Price> {
        if tick.raw <= 0 {
            return None;
        }
        let rem = self.raw % tick.raw;
        let down = self.raw - rem;
        let twice_rem = rem.checked_abs()?.checked_mul(2)?;
        if twice_rem >= tick.raw {
            down.checked_add(rem.signum() * tick.raw)
                .map(Self::from_raw)
        } else {
            Some(Self::from_raw(down))
        }
    }

    /// The multiple of `tick` at or above this price (`up`) or at or below it; the price as it
    /// is for a tick that is not positive.
    pub fn snap_to_tick(self, tick: Price, up: bool) -> Price {
        let t = tick.raw;
        if t <= 0 {
            return self;
        }
        let below = self.raw - self.raw.rem_euclid(t);
        if up && below != self.raw {
            Self::from_raw(below + t)
        } else {
            Self::from_raw(below)
        }
    }

    /// The change from `base` to `self` in basis points (1/100 of a percent), rounded half away
    /// from zero. `None` when `base` is zero or on overflow.
    pub fn change_basis_points(self, base: Price) -> Option<i64> {
        if base.raw == 0 {
            return None;
        }
        let diff = i128::from(self.raw) - i128::from(base.raw);
        let scaled = diff * 10_000;
        let base = i128::from(base.raw).abs();
        let half = base / 2;
        let rounded = if scaled >= 0 {
            (scaled + half) / base
        } else {
            (scaled - half) / base
        };
        i64::try_from(rounded).ok()
    }

    /// Indian digit grouping: `1,23,456.70`, `-12,34,567.0025`. At least two decimals, more only
    /// where the value has them.
    pub fn format_indian(self) -> String {
        let (sign, int, frac) = self.parts();
        let digits = int.to_string();
        let grouped = indian_grouping(&digits);
        format!("{sign}{grouped}.{frac}")
    }

    /// Indian grouping with the rupee sign: `₹1,23,456.70`, `-₹5.00`.
    pub fn format_inr(self) -> String {
        let (sign, int, frac) = self.parts();
        let digits = int.to_string();
        format!("{sign}₹{}.{frac}", indian_grouping(&digits))
    }

    /// Sign, whole rupees and the decimal digits to show (2 to 4).
    fn parts(self) -> (&'static str, u64, String) {
        let sign = if self.raw < 0 { "-" } else { "" };
        let abs = self.raw.unsigned_abs();
        let scale = Self::SCALE.unsigned_abs();
        let int = abs / scale;
        let frac = abs % scale;
        let mut frac = format!("{frac:04}");
        while frac.len() > 2 && frac.ends_with('0') {
            frac.pop();
        }
        (sign, int, frac)
    }

    /// Parses `123`, `-123.45`, `1,23,456.70`, `123,456.7`, `₹1,000`, `.5`. Grouping commas
    /// must sit where Indian or international grouping puts them.
    pub fn parse(text: &str) -> Result<Price, PriceError> {
        let text = text.trim();
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let rest = rest.strip_prefix('₹').unwrap_or(rest).trim_start();
        if rest.is_empty() {
            return Err(PriceError::Empty);
        }
        let (int_part, frac_part) = match rest.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (rest, None),
        };
        let int_digits = ungroup(int_part)?;
        let frac_digits = frac_part.unwrap_or("");
        if let Some(c) = frac_digits.chars().find(|c| !c.is_ascii_digit()) {
            return Err(PriceError::InvalidCharacter(c));
        }
        if int_digits.is_empty() && frac_digits.is_empty() {
            return Err(PriceError::Empty);
        }
        if frac_digits.len() > Self::DECIMALS as usize {
            return Err(PriceError::TooManyDecimals {
                max: Self::DECIMALS,
            });
        }
        let int: i64 = if int_digits.is_empty() {
            0
        } else {
            int_digits.parse().map_err(|_| PriceError::Overflow)?
        };
        let mut frac: i64 = 0;
        for (i, d) in frac_digits.bytes().enumerate() {
            frac += i64::from(d - b'0') * 10_i64.pow(Self::DECIMALS - 1 - i as u32);
        }
        let raw = int
            .checked_mul(Self::SCALE)
            .and_then(|v| v.checked_add(frac))
            .ok_or(PriceError::Overflow)?;
        Ok(Price::from_raw(if negative { -raw } else { raw }))
    }
}

/// Removes grouping commas after checking their places; returns the bare digits.
fn ungroup(int_part: &str) -> Result<String, PriceError> {
    if let Some(c) = int_part.chars().find(|c| !c.is_ascii_digit() && *c != ',') {
        return Err(PriceError::InvalidCharacter(c));
    }
    if !int_part.contains(',') {
        return Ok(int_part.to_owned());
    }
    let groups: Vec<&str> = int_part.split(',').collect();
    let (first, rest) = groups.split_first().ok_or(PriceError::MisplacedGrouping)?;
    let (last, middle) = rest.split_last().ok_or(PriceError::MisplacedGrouping)?;
    let first_ok = (1..=3).contains(&first.len());
    let last_ok = last.len() == 3;
    let indian = middle.iter().all(|g| g.len() == 2) && first.len() <= 2;
    let international = middle.iter().all(|g| g.len() == 3);
    if first_ok && last_ok && (indian || international) {
        Ok(groups.concat())
    } else {
        Err(PriceError::MisplacedGrouping)
    }
}

impl fmt::Display for Price {
    /// Plain decimal without grouping (`123456.70`): the canonical text form, also used on the
    /// wire.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (sign, int, frac) = self.parts();
        write!(f, "{sign}{int}.{frac}")
    }
}

impl FromStr for Price {
    type Err = PriceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Price::parse(s)
    }
}

// On the wire a price is its canonical decimal string: exact, and readable in any client.
impl Serialize for Price {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Price {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Price::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Price {
        Price::parse(s).unwrap()
    }

    #[test]
    fn parses_plain_and_grouped_forms() {
        assert_eq!(p("123456.70").raw(), 1_234_567_000);
        assert_eq!(p("1,23,456.70"), p("123456.7"));
        assert_eq!(p("123,456.70"), p("123456.70"));
        assert_eq!(p("₹1,000"), Price::from_rupees(1000).unwrap());
        assert_eq!(p("-0.05").raw(), -500);
        assert_eq!(p(".5").raw(), 5_000);
        assert_eq!(p("0.0025").raw(), 25);
        assert_eq!(p("  42 ").raw(), 420_000);
    }

    #[test]
    fn rejects_what_is_not_a_price_with_the_reason() {
        assert_eq!(Price::parse(""), Err(PriceError::Empty));
        assert_eq!(Price::parse("-"), Err(PriceError::Empty));
        assert_eq!(Price::parse("."), Err(PriceError::Empty));
        assert_eq!(Price::parse("12a"), Err(PriceError::InvalidCharacter('a')));
        assert_eq!(
            Price::parse("1.2.3"),
            Err(PriceError::InvalidCharacter('.'))
        );
        assert_eq!(Price::parse("1e5"), Err(PriceError::InvalidCharacter('e')));
        assert_eq!(
            Price::parse("1.00001"),
            Err(PriceError::TooManyDecimals { max: 4 })
        );
        assert_eq!(Price::parse("1,2345"), Err(PriceError::MisplacedGrouping));
        assert_eq!(Price::parse("12,34"), Err(PriceError::MisplacedGrouping));
        assert_eq!(Price::parse(",123"), Err(PriceError::MisplacedGrouping));
        assert_eq!(Price::parse("99999999999999999"), Err(PriceError::Overflow));
        assert!(Price::parse("NaN").is_err());
        assert!(Price::parse("inf").is_err());
    }

    #[test]
    fn formats_with_indian_grouping() {
        assert_eq!(p("123456.7").format_indian(), "1,23,456.70");
        assert_eq!(p("1234567.891").format_indian(), "12,34,567.891");
        assert_eq!(p("100").format_indian(), "100.00");
        assert_eq!(p("1000").format_indian(), "1,000.00");
        assert_eq!(p("10000000").format_indian(), "1,00,00,000.00");
        assert_eq!(p("-98765.4321").format_indian(), "-98,765.4321");
        assert_eq!(p("0.05").format_inr(), "₹0.05");
        assert_eq!(p("-1234.5").format_inr(), "-₹1,234.50");
        assert_eq!(p("123456.7").to_string(), "123456.70");
    }

    #[test]
    fn arithmetic_is_exact_and_checked() {
        // 0.1 + 0.2 is exactly 0.3 here, unlike f64.
        assert_eq!(p("0.1").checked_add(p("0.2")), Some(p("0.3")));
        assert_eq!(p("100").checked_sub(p("100.05")), Some(p("-0.05")));
        assert_eq!(p("2450.35").checked_mul_int(75), Some(p("183776.25")));
        assert_eq!(Price::from_raw(i64::MAX).checked_add(p("0.0001")), None);
        assert_eq!(Price::from_raw(i64::MIN).checked_abs(), None);
        assert_eq!(Price::from_paise(245_035), Some(p("2450.35")));
    }

    #[test]
    fn tick_grid() {
        let tick = p("0.05");
        assert!(p("101.35").is_multiple_of(tick));
        assert!(!p("101.33").is_multiple_of(tick));
        assert!(!p("101.35").is_multiple_of(Price::ZERO));
        assert_eq!(p("101.33").round_to_tick(tick), Some(p("101.35")));
        assert_eq!(p("101.32").round_to_tick(tick), Some(p("101.30")));
        assert_eq!(p("101.325").round_to_tick(tick), Some(p("101.35")));
        assert_eq!(p("-101.325").round_to_tick(tick), Some(p("-101.35")));
        assert_eq!(p("1").round_to_tick(Price::ZERO), None);
    }

    #[test]
    fn change_in_basis_points() {
        assert_eq!(p("101").change_basis_points(p("100")), Some(100));
        assert_eq!(p("99.995").change_basis_points(p("100")), Some(-1));
        assert_eq!(p("150").change_basis_points(p("100")), Some(5_000));
        assert_eq!(p("1").change_basis_points(Price::ZERO), None);
    }

    #[test]
    fn serde_uses_the_exact_decimal_string() {
        let json = serde_json::to_string(&p("1234.5")).unwrap();
        assert_eq!(json, "\"1234.50\"");
        let back: Price = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p("1234.5"));
        let bad = serde_json::from_str::<Price>("\"12x\"").unwrap_err();
        assert!(bad.to_string().contains("'x' is not allowed"), "{bad}");
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn display_round_trips(raw in -1_000_000_000_000_000_i64..1_000_000_000_000_000) {
                let price = Price::from_raw(raw);
                prop_assert_eq!(Price::parse(&price.to_string()), Ok(price));
                prop_assert_eq!(Price::parse(&price.format_indian()), Ok(price));
                prop_assert_eq!(Price::parse(&price.format_inr()), Ok(price));
            }

            #[test]
            fn rounding_lands_on_the_grid_within_half_a_tick(
                raw in -1_000_000_000_i64..1_000_000_000, tick in 1_i64..10_000
            ) {
                let tick = Price::from_raw(tick);
                let rounded = Price::from_raw(raw).round_to_tick(tick).unwrap();
                prop_assert!(rounded.is_multiple_of(tick));
                prop_assert!((rounded.raw() - raw).abs() * 2 <= tick.raw());
            }
        }
    }
}
