//! Websockets to browsers: the price stream, which also carries the activity push.

pub mod activity;
pub mod prices;
