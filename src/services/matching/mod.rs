//! The one matching engine both simulated venues use: the paper broker (paper mode) and the
//! Kite simulator (demo mode and every test). `fills` decides, for an order and a last price,
//! whether a stop triggers and at what price the order fills (MARKET, LIMIT, SL, SL-M; the
//! venue's slippage and resting-limit rule); `ledger` turns fills into positions — the net
//! position with its average and realised profit (`NetPosition`), and the day's buys and sells
//! as Kite reports them (`DayBook`) — in checked `Price` arithmetic. The venues keep their own
//! order books and wire shapes around it.

mod fills;
mod ledger;

pub use fills::{FillRules, RestingLimit, Slippage, Step, Working, market_fill_price, on_price};
pub use ledger::{DayBook, NetPosition};
