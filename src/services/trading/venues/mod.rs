//! Venues other than the broker: the paper broker (simulated fills on live ticks through the
//! core's matching engine, never the live broker) and the paper account (restore, reset).

pub(super) mod paper_account;
pub(super) mod paper_broker;
