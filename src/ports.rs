//! Ports: the traits services depend on. The server implements them with real adapters
//! (sqlx, the demo feed, the system clock); tests may implement them with plain values.

use async_trait::async_trait;

use crate::model::MarketSnapshot;

/// Reachability of the database.
#[async_trait]
pub trait DatabaseProbe: Send + Sync {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// A round trip to the database; the error says what failed, without credentials.
    async fn ping(&self) -> Result<(), String>;
}

/// The latest market data the server holds.
pub trait MarketData: Send + Sync {
    fn snapshot(&self) -> MarketSnapshot;
    /// When the feed last delivered an update (Unix ms), if ever.
    fn last_update_ms(&self) -> Option<i64>;
}

/// Wall-clock time, so services never read the system clock themselves.
pub trait Clock: Send + Sync {
    fn now_ms(&self) -> i64;
}
