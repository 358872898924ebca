//! OS Platforms server: the composition root and everything that does IO — configuration,
//! telemetry, the database, the Kite integration and simulator, websockets and HTTP. The
//! `osp` binary (`main.rs`) is a thin command line over this library, which integration tests
//! drive directly.

pub mod auth;
pub mod bus;
pub mod clock;
pub mod config;
pub mod database;
pub mod demo;
pub mod http;
pub mod instruments_loader;
pub mod integrations;
pub mod kite_connection;
pub mod live_prices;
pub mod market;
pub mod metrics;
pub mod secrets;
pub mod site;
pub mod startup;
pub mod telemetry;
pub mod users_cli;
pub mod venue;
pub mod webhooks;
pub mod websocket;
pub mod workers;
