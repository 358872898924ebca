//! Kite's REST API: the client (`client`: breaker, rate limits, timeouts, envelope, retries),
//! its errors, Kite's JSON shapes (`models`), and the endpoints by area.

mod alerts;
pub mod breaker;
mod client;
pub mod error;
mod gtt;
pub mod limits;
mod market;
pub mod models;
mod orders;
mod portfolio;
mod session;

pub use breaker::{BreakerConfig, BreakerState};
pub use client::{KiteClient, KiteClientConfig, RetryConfig};
pub use error::{ErrorType, KiteError, Retry};
pub use limits::RateLimitConfig;
pub use market::{HistoricalRequest, MAX_LTP_INSTRUMENTS, MAX_QUOTE_INSTRUMENTS};
pub use orders::{new_tag, newest_tagged};

#[cfg(test)]
mod fixture_tests;
#[cfg(test)]
mod fuzz_tests;
