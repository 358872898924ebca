//! Prices: where market data comes from before the Kite integration (the demo market) and, in
//! later work, the price service proper.

mod demo_market;

pub use demo_market::{DemoInstrument, DemoMarket, demo_instruments};
