//! Domain values, one type per file. They carry no IO and compile for the browser (wasm) and
//! the server alike; every one that crosses the wire is `Serialize + Deserialize`.

mod app_status;
mod broker_order;
mod exchange;
mod instrument;
mod market_snapshot;
mod ohlc;
mod order_request;
mod order_side;
mod order_tag;
mod price;
mod quote;
mod tick;
mod trading_mode;

pub use app_status::{AppStatus, ComponentHealth, HealthState};
pub use broker_order::{BrokerOrder, OrderStatus};
pub use exchange::{Exchange, ExchangeError};
pub use instrument::{Instrument, InstrumentToken};
pub use market_snapshot::MarketSnapshot;
pub use ohlc::Ohlc;
pub use order_request::{OrderKind, OrderRequest, ProductKind};
pub use order_side::OrderSide;
pub use order_tag::{OrderTag, OrderTagError};
pub use price::{Price, PriceError};
pub use quote::Quote;
pub use tick::Tick;
pub use trading_mode::TradingMode;
