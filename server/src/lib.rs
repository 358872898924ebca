//! OS Platforms server: the composition root and everything that does IO — configuration,
//! telemetry, the database, workers, websockets and HTTP. The `osp` binary (`main.rs`) is a
//! thin command line over this library, which integration tests drive directly.

pub mod clock;
pub mod config;
pub mod database;
pub mod http;
pub mod integrations;
pub mod site;
pub mod startup;
pub mod telemetry;
pub mod websocket;
pub mod workers;
