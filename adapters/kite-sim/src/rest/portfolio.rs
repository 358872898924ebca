//! Positions (from the day's fills), holdings, and position conversion.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;

use super::super::SimState;
use super::params::Params;
use super::reply::{SimError, SimResult, ok};
use kite_connect::common::enums::{Product, TransactionType};

pub(super) async fn positions(State(sim): State<Arc<SimState>>) -> SimResult {
    Ok(ok(sim.broker.positions(&sim.market.snapshot_now())))
}

/// Delivery buys settle into holdings overnight (`KiteSim::settle_delivery`); the simulated
/// account starts each run with none.
pub(super) async fn holdings(State(sim): State<Arc<SimState>>) -> SimResult {
    Ok(ok(sim.broker.holdings(&sim.market.snapshot_now())))
}

pub(super) async fn convert(State(sim): State<Arc<SimState>>, body: Bytes) -> SimResult {
    let form = Params::parse(&body);
    let exchange = form.required("exchange")?;
    let tradingsymbol = form.required("tradingsymbol")?;
    let side: TransactionType = form.parse_enum("transaction_type")?;
    let from: Product = form.parse_enum("old_product")?;
    let to: Product = form.parse_enum("new_product")?;
    form.required("position_type")?;
    let quantity: u32 = form
        .number("quantity")?
        .filter(|q| *q > 0)
        .ok_or_else(|| SimError::input("Invalid `quantity`: it must be at least 1."))?;
    sim.broker.convert_position(
        exchange,
        tradingsymbol,
        from,
        to,
        side == TransactionType::Buy,
        quantity,
    )?;
    Ok(ok(true))
}
