//! The tick bus between the price service and its subscribers (browsers, monitors) inside one
//! process, and the Redis bus between processes when the web side and the workers run apart.

mod in_process;
pub mod redis;
pub mod remote;

pub use in_process::InProcessBus;
pub use redis::{BusFigures, RedisBus, RelayedFeed, StatusSources};
pub use remote::{BusFiguresSource, RemoteFeed, RemoteWorkers};
