//! The tick bus between the price service and its subscribers (browsers, monitors). In-process
//! today; a cross-process implementation (Redis) will implement the same core port.

mod in_process;

pub use in_process::InProcessBus;
