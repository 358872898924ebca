//! Kite Connect v3: shared pieces (`common`), the REST client (`http`), the ticker's codec and
//! connection (`ticker`), the instruments dump parser, the core's `Broker` and `MarketFeed`
//! ports implemented over them (`broker`), and the simulator (`sim`) that speaks the same
//! protocol for demo mode and tests.

pub mod broker;
pub mod common;
pub mod http;
pub mod instruments;
pub mod sim;
pub mod ticker;

#[cfg(test)]
mod fixtures;
