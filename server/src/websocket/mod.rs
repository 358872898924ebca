//! Websockets to browsers.

pub mod prices;
