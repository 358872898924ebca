//! What the REST client, the ticker and the simulator share: URLs, credentials, Kite's
//! enumerations, and exact decimal handling of Kite's JSON numbers.

pub mod credential;
pub mod decimal;
pub mod enums;
pub mod login;
pub mod urls;
