//! Risk: the gate every order meets before the broker (`gate`: the kill switch, per-order
//! quantity and value, the price band, open positions, orders and loss per day — read from the
//! limits and the in-memory portfolio), and the risk service (`service`: editing the limits,
//! engaging and releasing the kill switch), and the port through which engaging it takes the
//! orders the broker holds for later (`standing`: Kite's ATO alerts) out of the broker's hands.

pub(super) mod gate;
pub(super) mod mismatches;
pub(super) mod service;
pub(super) mod standing;
