//! The core's test kit (feature `testing`, and the core's own tests): in-memory stores, a
//! scripted broker and a manual clock, so the trading rules run in scenario tests within
//! milliseconds, at a fixed time, with no database, network or runtime.
//!
//! Each piece implements the same port the server's adapters do and keeps its promises (the
//! stores' compare-and-set writes, a tag used once, the broker's book found by tag), so a
//! scenario that passes here asks nothing of the real parts they do not give.

mod broker;
mod clock;
mod instruments;
mod kite_alerts;
mod memory;

pub use broker::{Answer, ScriptedBroker};
pub use clock::ManualClock;
pub use instruments::infy;
pub use kite_alerts::{MemoryAlertMirror, MemoryBrokerAlerts};
pub use memory::{MemoryStore, NoTicks, QuietFeed};

/// Runs a future to its end on this thread (`futures`' executor): the kit's parts never wait
/// on IO, so no runtime is needed.
pub fn run<F: std::future::Future>(future: F) -> F::Output {
    futures::executor::block_on(future)
}
