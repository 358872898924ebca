//! Ports: the traits services depend on. The server implements them with real adapters
//! (sqlx, the demo feed, the system clock); tests may implement them with plain values.

use async_trait::async_trait;

use crate::model::{BrokerOrder, InstrumentToken, MarketSnapshot, OrderRequest, OrderTag};

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

/// What a broker call's failure means for the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrokerErrorKind {
    /// The broker refused the order or request (bad input, margin, rules): do not repeat it.
    Rejected,
    /// The session is gone: the user must log in to the broker again.
    Unauthorized,
    /// The broker or the path to it is failing; nothing was done. Safe to try later.
    Unavailable,
    /// An order may or may not have been placed: look it up by its tag before anything else.
    Uncertain,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BrokerError {
    pub kind: BrokerErrorKind,
    /// Says what went wrong in words a trader understands; never holds credentials.
    pub message: String,
}

/// Where orders go: Kite's REST API, or the paper broker. The trading engine depends on this
/// port only, so which one it talks to is decided once, where the app is assembled.
#[async_trait]
pub trait Broker: Send + Sync {
    /// Places an order and returns the broker's order id. An uncertain outcome is resolved
    /// by the tag before this returns, or reported as `BrokerErrorKind::Uncertain`.
    async fn place_order(&self, order: &OrderRequest) -> Result<String, BrokerError>;
    async fn cancel_order(&self, order_id: &str) -> Result<(), BrokerError>;
    /// Today's newest order carrying `tag`.
    async fn order_by_tag(&self, tag: &OrderTag) -> Result<Option<BrokerOrder>, BrokerError>;
    async fn orders(&self) -> Result<Vec<BrokerOrder>, BrokerError>;
}

/// A live market-data feed the app subscribes instruments on.
#[async_trait]
pub trait MarketFeed: Send + Sync {
    /// Subscribes with full detail (depth); the error says why the feed cannot take more.
    async fn subscribe(&self, tokens: &[InstrumentToken]) -> Result<(), String>;
    async fn unsubscribe(&self, tokens: &[InstrumentToken]);
}
