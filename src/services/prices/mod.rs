//! Prices: the price book (latest tick per followed instrument) and the demo market's random
//! walk, which drives the Kite simulator.

mod demo_market;
mod price_book;

pub use demo_market::{DemoInstrument, DemoMarket, demo_instruments};
pub use price_book::PriceBook;
