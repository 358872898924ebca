//! The Kite simulator: a market and a broker that speak Kite's protocol — REST, the login
//! page and the binary ticker on one listener — so the real client code runs against it, in
//! demo mode and in every test.
//!
//! `server` assembles it; `market` moves prices; `broker` matches orders into trades and
//! positions; `triggers` holds GTTs and alerts; `auth` checks sessions like Kite; `rest` and
//! `ticker` are the wire; `control` injects faults for tests.

mod auth;
mod broker;
mod clock_text;
mod control;
mod market;
mod quotes;
mod rest;
mod server;
mod ticker;
mod triggers;
mod universe;

pub use auth::SimAuth;
pub use broker::{BrokerConfig, SimBroker};
pub use control::{RestFault, SimControl};
pub use market::SimMarket;
pub use quotes::packet_for;
pub use server::{KiteSim, RunningSim, SimConfig, SimState};
pub use ticker::{SimTicker, TICKER_PATH};
pub use triggers::{ALERT_LIMIT, NewAlert, Triggers};
pub use universe::Universe;
