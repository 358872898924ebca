//! Kite writes prices and money as JSON numbers (`1412.95`, `99725.05000000002`). serde_json
//! reads a number as `f64`; this module turns it back into the decimal Kite wrote — Rust prints
//! an `f64` as the shortest text that reads back to the same value, which for up to 15
//! significant digits is exactly the original decimal — and then into a fixed-point `Price`,
//! rounding past four decimal places half away from zero (`0.011372219999999999` → `0.0114`).
//! The `f64` is only the parser's transport; no arithmetic ever happens on it.

use osp_core::model::Price;
use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

/// Parses decimal text (`-12.3456789`, `1412.95`, `1e-7` is refused) into a price rounded to
/// four places.
pub fn price_from_decimal(text: &str) -> Result<Price, String> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    let valid = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty()) || !valid(int_part) || !valid(frac_part) {
        return Err(format!("'{text}' is not a decimal number"));
    }
    let places = Price::DECIMALS as usize;
    let kept = &frac_part[..frac_part.len().min(places)];
    let round_up = frac_part.as_bytes().get(places).is_some_and(|d| *d >= b'5');
    let int: i64 = if int_part.is_empty() {
        0
    } else {
        int_part
            .parse()
            .map_err(|_| format!("'{text}' is too large for a price"))?
    };
    let mut frac: i64 = 0;
    for (i, d) in kept.bytes().enumerate() {
        frac += i64::from(d - b'0') * 10_i64.pow(Price::DECIMALS - 1 - i as u32);
    }
    let raw = int
        .checked_mul(Price::SCALE)
        .and_then(|v| v.checked_add(frac + i64::from(round_up)))
        .ok_or_else(|| format!("'{text}' is too large for a price"))?;
    Ok(Price::from_raw(if negative { -raw } else { raw }))
}

/// Writes a price as the JSON number Kite would send: `702` for whole rupees, else `1412.95`.
fn serialize_number<S: Serializer>(price: Price, s: S) -> Result<S::Ok, S::Error> {
    if price.raw() % Price::SCALE == 0 {
        return s.serialize_i64(price.raw() / Price::SCALE);
    }
    // The canonical decimal text has at most four places and far fewer than 15 significant
    // digits for any real price, so the nearest f64 prints back as the same decimal.
    s.serialize_f64(price.to_string().parse().unwrap_or(0.0))
}

/// A price wrapped so it serializes as a Kite JSON number (for lists and maps).
pub struct Number(pub Price);

impl serde::Serialize for Number {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_number(self.0, s)
    }
}

struct PriceVisitor;

impl Visitor<'_> for PriceVisitor {
    type Value = Price;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a price as a JSON number or decimal string")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Price, E> {
        Price::from_rupees(v).ok_or_else(|| E::custom(format!("{v} is too large for a price")))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Price, E> {
        i64::try_from(v)
            .ok()
            .and_then(Price::from_rupees)
            .ok_or_else(|| E::custom(format!("{v} is too large for a price")))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Price, E> {
        if !v.is_finite() {
            return Err(E::custom("a price must be a finite number"));
        }
        price_from_decimal(&v.to_string()).map_err(E::custom)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Price, E> {
        price_from_decimal(v).map_err(E::custom)
    }
}

/// `#[serde(with = "decimal::price")]`: a required price.
pub mod price {
    use super::*;

    pub fn serialize<S: Serializer>(price: &Price, s: S) -> Result<S::Ok, S::Error> {
        serialize_number(*price, s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Price, D::Error> {
        d.deserialize_any(PriceVisitor)
    }
}

/// `#[serde(with = "decimal::opt_price", default)]`: a price that may be `null` or absent.
pub mod opt_price {
    use super::*;

    pub fn serialize<S: Serializer>(price: &Option<Price>, s: S) -> Result<S::Ok, S::Error> {
        match price {
            Some(p) => serialize_number(*p, s),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Price>, D::Error> {
        struct OptVisitor;
        impl<'de> Visitor<'de> for OptVisitor {
            type Value = Option<Price>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a price or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
                d.deserialize_any(PriceVisitor).map(Some)
            }
        }
        d.deserialize_option(OptVisitor)
    }
}

/// `#[serde(with = "decimal::prices")]`: a list of prices (GTT trigger values).
pub mod prices {
    use super::*;
    use serde::de::SeqAccess;
    use serde::ser::SerializeSeq;

    pub fn serialize<S: Serializer>(prices: &[Price], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(prices.len()))?;
        for p in prices {
            seq.serialize_element(&Number(*p))?;
        }
        seq.end()
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Price>, D::Error> {
        struct SeqVisitor;
        impl<'de> Visitor<'de> for SeqVisitor {
            type Value = Vec<Price>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of prices")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(2));
                while let Some(p) = seq.next_element::<Wrapped>()? {
                    out.push(p.0);
                }
                Ok(out)
            }
        }
        d.deserialize_seq(SeqVisitor)
    }

    struct Wrapped(Price);
    impl<'de> serde::Deserialize<'de> for Wrapped {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(PriceVisitor).map(Wrapped)
        }
    }
}

/// A price as Kite's form parameters want it: plain decimal text.
pub fn form_price(price: Price) -> String {
    price.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> i64 {
        price_from_decimal(text).unwrap().raw()
    }

    #[test]
    fn decimals_become_exact_prices_rounded_to_four_places() {
        assert_eq!(raw("1412.95"), 14_129_500);
        assert_eq!(raw("99725.05000000002"), 997_250_500);
        assert_eq!(raw("0.011372219999999999"), 114);
        assert_eq!(raw("1.79255122"), 17_926);
        assert_eq!(raw("-1269.9"), -12_699_000);
        assert_eq!(raw("-0.00005"), -1);
        assert_eq!(raw("72"), 720_000);
        assert!(price_from_decimal("1e-7").is_err());
        assert!(price_from_decimal("").is_err());
        assert!(price_from_decimal("12.3.4").is_err());
    }

    #[test]
    fn json_numbers_round_trip_through_the_serde_helpers() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Row {
            #[serde(with = "price")]
            p: Price,
            #[serde(with = "opt_price", default)]
            q: Option<Price>,
            #[serde(with = "prices")]
            r: Vec<Price>,
        }
        let row: Row =
            serde_json::from_str(r#"{"p": 1412.95, "q": null, "r": [702, 0.0025]}"#).unwrap();
        assert_eq!(row.p.raw(), 14_129_500);
        assert_eq!(row.q, None);
        assert_eq!(row.r, vec![Price::from_raw(7_020_000), Price::from_raw(25)]);
        let text = serde_json::to_string(&row).unwrap();
        assert_eq!(text, r#"{"p":1412.95,"q":null,"r":[702,0.0025]}"#);
        let missing: Row = serde_json::from_str(r#"{"p": "5", "r": []}"#).unwrap();
        assert_eq!(missing.q, None);
    }
}
