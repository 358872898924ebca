//! Integrations with the outside world: Kite Connect (and, later, the paper broker).

pub mod kite;
