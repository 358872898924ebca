//! Kite Connect v3: shared pieces (`common`), the REST client (`http`), the ticker's codec and
//! connection (`ticker`), the instruments dump parser, the core's ports implemented over them
//! (`alerts`: the broker's alerts and ATO, `broker`: Broker, `feed`: MarketFeed, `history`: HistoricalPrices), and the simulator
//! (`sim`) that speaks the same protocol for demo mode and tests.

pub mod alerts;
pub mod broker;
pub mod common;
pub mod feed;
pub mod gated_feed;
pub mod history;
pub mod http;
pub mod instruments;
pub mod sim;
pub mod ticker;

#[cfg(test)]
mod fixtures;
