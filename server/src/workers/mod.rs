//! Workers: long-running loops that call the core's services on live events — the trading
//! worker (level monitor, trade monitor, order updates), the alert worker (alert monitor), the
//! webhook worker, the Kite alerts sync and, in paper mode, the paper matcher.
//! Each exposes `run_until_stopped(shutdown)`; its single step is a core method tests drive
//! directly. The `WorkerManager` (`supervisor.rs`) runs them: restarts with back-off, failed
//! after too many stops in a row, states for `/ready` and the Settings page; the trading
//! worker only while this process holds the trading lease (`lease.rs`), the alert worker the
//! alerts lease, the webhook worker and the Kite alerts sync theirs. When the web side runs in
//! other processes, the trading and alert workers also hear what those changed
//! (`changes.rs`) and read it again.

pub mod alert_worker;
pub mod change_follower;
pub mod changes;
pub mod kite_alert_sync;
pub mod lease;
pub mod paper_matcher;
pub mod supervisor;
pub mod trading_worker;
pub mod webhook_worker;

pub use alert_worker::{ALERTS_LEASE, AlertWorker};
pub use change_follower::{ChangeFollower, WebParts};
pub use kite_alert_sync::{KITE_ALERTS_LEASE, KiteAlertSync};
pub use lease::{Lease, TRADING_LEASE};
pub use paper_matcher::PaperMatcher;
pub use supervisor::{RestartPolicy, WorkerManager};
pub use trading_worker::TradingWorker;
pub use webhook_worker::{WEBHOOKS_LEASE, WebhookWorker};
