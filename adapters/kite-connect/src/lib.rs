//! Kite Connect v3 for any Rust program: shared pieces (`common`: enums, fixed-point decimals,
//! endpoints, the login), the REST client (`http`: retries only where safe, Kite's rate limits,
//! a circuit breaker, the models), the ticker's binary codec and connection (`ticker`), the
//! instruments dump parser (`instruments`), and the OS Platforms core's ports implemented over
//! them (`broker`: Broker, `feed`: MarketFeed, `gated_feed`: a feed held only under a lease,
//! `history`: HistoricalPrices, `alerts`: Kite's alerts and ATO baskets).
//!
//! It depends on the core (`osp-core`, for `Price` and the ports) and on no app, database or
//! server crate; the simulator (`kite-sim`) speaks the same protocol for demo mode and tests.

pub mod alerts;
pub mod broker;
pub mod common;
pub mod feed;
pub mod gated_feed;
pub mod history;
pub mod http;
pub mod instruments;
pub mod ticker;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod fuzz;
