//! The simulator's instruments, with what Kite's dump says of each: token (segment in the low
//! byte), exchange token, tick and lot size, segment. Indices are listed as Kite lists them
//! (exchange `NSE`, segment `INDICES`) and cannot be traded. Served as Kite's CSV dump.

use osp_core::model::{InstrumentToken, Price};
use osp_core::services::prices::demo_instruments;

use crate::integrations::kite::ticker::Segment;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimInstrument {
    pub token: InstrumentToken,
    pub tradingsymbol: String,
    pub name: String,
    pub exchange: String,
    pub segment: String,
    pub instrument_type: String,
    pub tick_size: Price,
    pub lot_size: u32,
}

impl SimInstrument {
    pub fn tradable(&self) -> bool {
        Segment::of(self.token) != Segment::Indices
    }

    /// `NSE:INFY`, the key quotes are asked by.
    pub fn key(&self) -> String {
        format!("{}:{}", self.exchange, self.tradingsymbol)
    }

    pub fn exchange_token(&self) -> u32 {
        self.token.0 >> 8
    }
}

#[derive(Clone, Debug)]
pub struct Universe {
    pub instruments: Vec<SimInstrument>,
}

impl Universe {
    /// The demo market's instruments.
    pub fn demo() -> Self {
        let instruments = demo_instruments()
            .into_iter()
            .map(|i| {
                let index = Segment::of(i.token) == Segment::Indices;
                SimInstrument {
                    token: i.token,
                    tradingsymbol: i.tradingsymbol.to_owned(),
                    name: i.tradingsymbol.to_owned(),
                    exchange: i.exchange.code().to_owned(),
                    segment: if index { "INDICES" } else { i.exchange.code() }.to_owned(),
                    instrument_type: "EQ".to_owned(),
                    tick_size: if index { Price::ZERO } else { i.tick_size },
                    lot_size: if index { 0 } else { 1 },
                }
            })
            .collect();
        Self { instruments }
    }

    pub fn by_symbol(&self, exchange: &str, tradingsymbol: &str) -> Option<&SimInstrument> {
        self.instruments
            .iter()
            .find(|i| i.exchange == exchange && i.tradingsymbol == tradingsymbol)
    }

    pub fn by_token(&self, token: u32) -> Option<&SimInstrument> {
        self.instruments.iter().find(|i| i.token.0 == token)
    }

    /// Kite's instruments CSV, for all exchanges or one.
    pub fn dump_csv(&self, exchange: Option<&str>) -> String {
        let mut out = String::from(
            "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange\n",
        );
        for i in &self.instruments {
            if exchange.is_some_and(|e| e != i.exchange) {
                continue;
            }
            out.push_str(&format!(
                "{},{},{},\"{}\",0.0,,0.0,{},{},{},{},{}\n",
                i.token.0,
                i.exchange_token(),
                i.tradingsymbol,
                i.name,
                i.tick_size,
                i.lot_size,
                i.instrument_type,
                i.segment,
                i.exchange
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrations::kite::instruments::parse_dump;

    #[test]
    fn the_dump_reads_back_through_the_clients_parser() {
        let universe = Universe::demo();
        let dump = parse_dump(universe.dump_csv(None).as_bytes()).unwrap();
        assert!(dump.row_errors.is_empty(), "{:?}", dump.row_errors);
        assert_eq!(dump.instruments.len(), universe.instruments.len());
        let nifty = universe.by_symbol("NSE", "NIFTY 50").unwrap();
        assert!(!nifty.tradable());
        assert!(universe.by_symbol("NSE", "INFY").unwrap().tradable());
        let nse_only = parse_dump(universe.dump_csv(Some("BSE")).as_bytes()).unwrap();
        assert!(nse_only.instruments.is_empty());
    }
}
