//! Domain values, one type per file. They carry no IO and compile for the browser (wasm) and
//! the server alike; every one that crosses the wire is `Serialize + Deserialize`.

mod alert;
mod app_status;
mod broker_alert;
mod broker_order;
mod broker_statement;
mod bus_status;
mod candle;
mod confirmation;
mod crossing;
mod depth;
mod exchange;
mod feed_change;
mod feed_figures;
mod feed_mode;
mod field_problem;
mod instrument;
mod instruments_load;
mod kite_status;
mod level;
mod level_log;
mod market_session;
mod market_snapshot;
mod mismatch;
mod ohlc;
mod order_intent;
mod order_request;
mod order_side;
mod order_tag;
mod price;
mod quote;
mod risk;
mod session_expiry;
mod state_change;
mod stored_level;
mod tick;
mod trade;
mod trading_mode;
mod user;
mod watchlist;
mod webhook;
mod worker_state;

pub use alert::{
    Alert, AlertCondition, AlertEvent, AlertId, AlertMetric, AlertOperator, AlertRepeat,
    AlertState, AlertTarget,
};
pub use app_status::{AppStatus, ComponentHealth, HealthState};
pub use broker_alert::{
    AtoOrder, AtoPricing, AtoSpec, BROKER_ALERT_LIMIT, BROKER_ALERT_WARN_AT, BrokerAlert,
    BrokerAlertFiring, BrokerAlertHistoryEntry, BrokerAlertKind, BrokerAlertMirror,
    BrokerAlertOperator, BrokerAlertSpec, SuspendedBrokerAlert,
};
pub use broker_order::{BrokerOrder, BrokerPosition, MarginNeed, OrderStatus};
pub use broker_statement::{BookFill, BookOrder, BrokerStatement, HeldStock, SegmentFunds};
pub use bus_status::{BusPeer, BusStatus};
pub use candle::Candle;
pub use confirmation::Confirmation;
pub use crossing::{Direction, LevelTrigger};
pub use depth::{Depth, DepthLevel};
pub use exchange::{Exchange, ExchangeError};
pub use feed_change::FeedChange;
pub use feed_figures::FeedFigures;
pub use feed_mode::FeedMode;
pub use field_problem::FieldProblem;
pub use instrument::{Instrument, InstrumentToken};
pub use instruments_load::InstrumentsLoad;
pub use kite_status::{KiteSession, KiteStatus, kite_credentials_problems};
pub use level::{ActiveWindow, Distance, Level, LevelId, LevelOrderType, Rearm};
pub use level_log::{LevelLogEntry, LevelLogKind};
pub use market_session::MarketSession;
pub use market_snapshot::MarketSnapshot;
pub use mismatch::{Mismatch, MismatchAck, PositionKey};
pub use ohlc::Ohlc;
pub use order_intent::{IntentState, OrderIntent};
pub use order_request::{GttLeg, OrderKind, OrderRequest, ProductKind};
pub use order_side::OrderSide;
pub use order_tag::{OrderTag, OrderTagError};
pub use price::{Price, PriceError};
pub use quote::Quote;
pub use risk::{KillSwitch, RiskLimits};
pub use session_expiry::SessionExpiry;
pub use state_change::StateChange;
pub use stored_level::{LastTrigger, StoredLevel};
pub use tick::Tick;
pub use trade::{Adoption, ExitReason, Trade, TradeId, TradeState, profit};
pub use trading_mode::TradingMode;
pub use user::{Access, Role, StoredUser, TotpEnrolment, User, UserId};
pub use watchlist::{Watchlist, WatchlistItem};
pub use webhook::{DeliveryState, WebhookDelivery, WebhookSaved, WebhookView};
pub use worker_state::{WorkerPhase, WorkerState};
