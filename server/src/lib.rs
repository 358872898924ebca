//! OS Platforms server: the composition root and everything that does IO — configuration,
//! telemetry, the database, the Kite wiring (`kite/`: the connection, live prices, the market, demo
//! mode, the instruments schedule — over the `kite-connect` and `kite-sim` crates), websockets and HTTP. The
//! `osp` binary (`main.rs`) is a thin command line over this library, which integration tests
//! drive directly.

pub mod auth;
pub mod bus;
pub mod clock;
pub mod config;
pub mod database;
pub mod http;
pub mod kite;
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
