//! Execution: how an order reaches the broker exactly once. The order intent's transitions and
//! reconciliation (`intents`), the executor that drives them (`executor`: record, ask the gate,
//! send, resolve a lost answer by tag), the broker session an ended Kite login stops
//! (`broker_session`), the check every order meets (`pre_trade`), what any order must be
//! (`order_rules`: tick grid, lots, product), what the account holds of a delivery trade
//! (`holdings`: positions and holdings together), and the manual ticket and the order desk
//! (`order_ticket`, `order_desk`: place, modify, cancel).

pub(super) mod broker_session;
pub(super) mod executor;
pub(super) mod holdings;
pub(super) mod intents;
pub(super) mod order_desk;
pub(super) mod order_rules;
pub(super) mod order_ticket;
pub(super) mod pre_trade;

pub use pre_trade::PreTradeCheck;
