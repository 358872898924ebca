//! Background workers. Each exposes a single step that tests drive directly and a
//! `run_until_stopped` loop that ends when the shutdown token is cancelled.

pub mod demo_feed;
