//! Workers: long-running loops that call the core's services on live events. Each exposes
//! `run_until_stopped(shutdown)`; its single step is a core method tests drive directly.
//! Supervision (restart with back-off, states on a System page) is the workers issue's.

pub mod trading_worker;

pub use trading_worker::TradingWorker;
