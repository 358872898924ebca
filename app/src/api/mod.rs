//! Server functions, one module per area. Each parses its input, calls one service and maps
//! the error; no business rule lives here.

pub mod activity;
pub mod alerts;
pub mod auth;
pub mod instruments;
pub mod kite;
pub mod kite_alerts;
pub mod levels;
pub mod levels_csv;
pub mod notifications;
pub mod orders;
pub mod risk;
pub mod status;
pub mod trades;
pub mod users;
pub mod watchlists;
pub mod webhooks;
pub mod workers;
