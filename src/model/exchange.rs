//! `Exchange`: the venues Kite Connect trades on, by Kite's own codes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Exchange {
    Nse,
    Bse,
    Nfo,
    Bfo,
    Cds,
    Bcd,
    Mcx,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown exchange '{0}'; expected one of NSE, BSE, NFO, BFO, CDS, BCD, MCX")]
pub struct ExchangeError(pub String);

impl Exchange {
    pub const ALL: [Exchange; 7] = [
        Exchange::Nse,
        Exchange::Bse,
        Exchange::Nfo,
        Exchange::Bfo,
        Exchange::Cds,
        Exchange::Bcd,
        Exchange::Mcx,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Exchange::Nse => "NSE",
            Exchange::Bse => "BSE",
            Exchange::Nfo => "NFO",
            Exchange::Bfo => "BFO",
            Exchange::Cds => "CDS",
            Exchange::Bcd => "BCD",
            Exchange::Mcx => "MCX",
        }
    }
}

impl fmt::Display for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Exchange {
    type Err = ExchangeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Exchange::ALL
            .into_iter()
            .find(|e| e.code().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| ExchangeError(wanted.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_is_named() {
        for e in Exchange::ALL {
            assert_eq!(e.code().parse::<Exchange>(), Ok(e));
        }
        assert_eq!("nse".parse::<Exchange>(), Ok(Exchange::Nse));
        let err = "NYSE".parse::<Exchange>().unwrap_err();
        assert!(err.to_string().contains("'NYSE'"));
    }
}
