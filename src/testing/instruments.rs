//! Instruments the scenarios trade, as Kite's instruments dump lists them.

use crate::model::{Exchange, Instrument, InstrumentToken, Price};

/// INFY on NSE: token 408065, ₹0.05 ticks, lots of one.
pub fn infy() -> Instrument {
    Instrument {
        token: InstrumentToken(408_065),
        exchange_token: 1594,
        tradingsymbol: "INFY".to_owned(),
        name: "INFOSYS".to_owned(),
        exchange: Exchange::Nse,
        segment: "NSE".to_owned(),
        instrument_type: "EQ".to_owned(),
        tick_size: Price::from_raw(500),
        lot_size: 1,
        expiry: None,
        strike: Price::ZERO,
    }
}
