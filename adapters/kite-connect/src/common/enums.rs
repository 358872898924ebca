//! Kite's enumerations as Rust enums, spelled on the wire exactly as Kite spells them. Request
//! parameters use these, so a request with an impossible value cannot be built; parsing a
//! value from a person gives an error listing what is allowed.

use std::fmt;
use std::str::FromStr;

/// A value that is not one of an enumeration's spellings.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not a valid {what}; use one of: {allowed}")]
pub struct EnumError {
    pub what: &'static str,
    pub value: String,
    pub allowed: &'static str,
}

macro_rules! kite_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = EnumError;
            fn from_str(s: &str) -> Result<Self, EnumError> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(EnumError {
                        what: $what,
                        value: s.to_owned(),
                        allowed: concat!($($text, " "),+).trim_ascii_end(),
                    }),
                }
            }
        }
    };
}

kite_enum!(
    /// How an order is placed: the path segment of `/orders/:variety`.
    Variety, "variety", {
    Regular => "regular",
    Amo => "amo",
    Co => "co",
    Iceberg => "iceberg",
    Auction => "auction",
});

kite_enum!(OrderType, "order type", {
    Market => "MARKET",
    Limit => "LIMIT",
    Sl => "SL",
    SlM => "SL-M",
});

kite_enum!(TransactionType, "transaction type", {
    Buy => "BUY",
    Sell => "SELL",
});

kite_enum!(Product, "product", {
    Cnc => "CNC",
    Nrml => "NRML",
    Mis => "MIS",
    Mtf => "MTF",
    Co => "CO",
    Bo => "BO",
});

kite_enum!(Validity, "validity", {
    Day => "DAY",
    Ioc => "IOC",
    Ttl => "TTL",
});

kite_enum!(
    /// Candle width for historical data.
    Interval, "interval", {
    Minute => "minute",
    Minute3 => "3minute",
    Minute5 => "5minute",
    Minute10 => "10minute",
    Minute15 => "15minute",
    Minute30 => "30minute",
    Minute60 => "60minute",
    Day => "day",
});

kite_enum!(GttType, "GTT type", {
    Single => "single",
    TwoLeg => "two-leg",
});

kite_enum!(AlertType, "alert type", {
    Simple => "simple",
    Ato => "ato",
});

kite_enum!(AlertOperator, "alert operator", {
    Le => "<=",
    Ge => ">=",
    Lt => "<",
    Gt => ">",
    Eq => "==",
});

kite_enum!(PositionType, "position type", {
    Overnight => "overnight",
    Day => "day",
});

impl Interval {
    /// Candle width in seconds.
    pub fn seconds(self) -> i64 {
        match self {
            Interval::Minute => 60,
            Interval::Minute3 => 180,
            Interval::Minute5 => 300,
            Interval::Minute10 => 600,
            Interval::Minute15 => 900,
            Interval::Minute30 => 1800,
            Interval::Minute60 => 3600,
            Interval::Day => 86_400,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_round_trips_and_a_wrong_one_lists_the_choices() {
        for v in OrderType::ALL {
            assert_eq!(v.as_str().parse::<OrderType>().unwrap(), *v);
            assert_eq!(serde_json::to_string(v).unwrap(), format!("\"{v}\""));
        }
        let err = "STOP".parse::<OrderType>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "'STOP' is not a valid order type; use one of: MARKET LIMIT SL SL-M"
        );
        assert_eq!("two-leg".parse::<GttType>().unwrap(), GttType::TwoLeg);
        assert_eq!(Interval::Minute15.seconds(), 900);
    }
}
