//! Kite's JSON shapes, field for field, as the REST API sends them (and as the simulator
//! answers). Prices and money are fixed-point `Price`s read exactly (see `common::decimal`);
//! timestamps stay Kite's IST text; enumerations in answers stay text, so a new value Kite adds
//! (a product, a status) cannot make a whole order book unreadable. Fields Kite may omit or
//! send as `null` are `Option`s or defaulted.

mod alert;
mod gtt;
mod margin;
mod market;
mod order;
mod portfolio;
mod user;

pub use alert::*;
pub use gtt::*;
pub use margin::*;
pub use market::*;
pub use order::*;
pub use portfolio::*;
pub use user::*;
