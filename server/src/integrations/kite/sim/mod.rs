//! The Kite simulator: a market and (later) a broker that speak Kite's protocol, so the real
//! client code runs against it — in demo mode and in every test. So far: the ticker websocket.

mod control;
mod market;
mod quotes;
mod ticker;

pub use control::SimControl;
pub use market::SimMarket;
pub use quotes::packet_for;
pub use ticker::{SimTicker, TICKER_PATH};
