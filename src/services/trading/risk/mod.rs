//! Risk: the gate every order meets before the broker (`gate`: the kill switch, per-order
//! quantity and value, the price band, open positions, orders and loss per day — read from the
//! limits and the in-memory portfolio), and the risk service (`service`: editing the limits,
//! engaging and releasing the kill switch).

pub(super) mod gate;
pub(super) mod service;
