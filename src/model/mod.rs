//! Domain values, one type per file. They carry no IO and compile for the browser (wasm) and
//! the server alike; every one that crosses the wire is `Serialize + Deserialize`.

mod app_status;
mod broker_order;
mod candle;
mod confirmation;
mod crossing;
mod depth;
mod exchange;
mod feed_change;
mod feed_mode;
mod instrument;
mod instruments_load;
mod market_session;
mod market_snapshot;
mod ohlc;
mod order_request;
mod order_side;
mod order_tag;
mod price;
mod quote;
mod tick;
mod trading_mode;
mod watchlist;

pub use app_status::{AppStatus, ComponentHealth, HealthState};
pub use broker_order::{BrokerOrder, OrderStatus};
pub use candle::Candle;
pub use confirmation::Confirmation;
pub use crossing::{Direction, LevelTrigger};
pub use depth::{Depth, DepthLevel};
pub use exchange::{Exchange, ExchangeError};
pub use feed_change::FeedChange;
pub use feed_mode::FeedMode;
pub use instrument::{Instrument, InstrumentToken};
pub use instruments_load::InstrumentsLoad;
pub use market_session::MarketSession;
pub use market_snapshot::MarketSnapshot;
pub use ohlc::Ohlc;
pub use order_request::{OrderKind, OrderRequest, ProductKind};
pub use order_side::OrderSide;
pub use order_tag::{OrderTag, OrderTagError};
pub use price::{Price, PriceError};
pub use quote::Quote;
pub use tick::Tick;
pub use trading_mode::TradingMode;
pub use watchlist::{Watchlist, WatchlistItem};
