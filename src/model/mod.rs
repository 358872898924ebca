//! Domain values, one type per file. They carry no IO and compile for the browser (wasm) and
//! the server alike; every one that crosses the wire is `Serialize + Deserialize`.

mod app_status;
mod exchange;
mod instrument;
mod market_snapshot;
mod ohlc;
mod price;
mod quote;
mod tick;
mod trading_mode;

pub use app_status::{AppStatus, ComponentHealth, HealthState};
pub use exchange::{Exchange, ExchangeError};
pub use instrument::{Instrument, InstrumentToken};
pub use market_snapshot::MarketSnapshot;
pub use ohlc::Ohlc;
pub use price::{Price, PriceError};
pub use quote::Quote;
pub use tick::Tick;
pub use trading_mode::TradingMode;
