//! The trading engine's rules: the order intent's transitions and reconciliation (the
//! exactly-once core) and the executor that drives them; what makes a level valid and how a
//! form becomes one (`level_draft`); the level index, trend detector and level monitor (each
//! crossing triggers at most once per arm); the level trader that runs the monitor on live ticks
//! and places orders through the executor; the level service (CRUD); the paper broker; the trade
//! rules and the trade monitor (`trades`: entries, target / stop / trailing exits, square-off,
//! the trade book); pre-trade risk (`risk`: limits, the kill switch, the executor's gate)
//! and the risk service (editing limits, engaging and releasing the kill switch); the manual
//! order ticket and the order desk (place a ticket, modify or cancel an open order); the paper
//! account (restore, reset); the activity feed behind the toasts, and the notification centre
//! (`notifications`: the newest of it and what each user has not read). The `engine` runs the
//! loop over them: ticks, order updates, timers and changes in; a report out.

mod activity;
mod broker_session;
mod engine;
#[cfg(test)]
mod engine_scenarios;
mod executor;
mod intents;
mod level_draft;
mod level_index;
mod level_monitor;
mod level_orders;
mod level_rules;
mod level_trader;
mod levels;
mod notifications;
mod order_desk;
mod order_ticket;
mod paper_account;
mod paper_broker;
mod portfolio;
mod risk;
mod risk_service;
#[cfg(test)]
mod scenarios;
mod trade_rules;
mod trades;
mod trend;

pub use activity::{Activity, ActivityFeed, ActivityItem, ActivityKind};
pub use broker_session::{BrokerSession, DAILY_EXPIRY_REASON, kite_session_end_ms};
pub use engine::{EngineReport, Timer, TradingEngine, TradingEngineParts};
pub use executor::{ExecError, LOST_ANSWER_SETTLE_MS, OrderExecutor};
pub use intents::{IntentError, IntentEvent, Reconciliation, advance, reconcile};
pub use level_draft::{
    ConfirmationChoice, LevelDraft, RearmChoice, clock_text, parse_clock, parse_distance,
};
pub use level_index::{Crossed, LevelId, LevelIndex};
pub use level_monitor::{LevelEvent, LevelMonitor, LevelSpec, LevelState};
pub use level_orders::{exit_prices, order_for};
pub use level_rules::{MAX_NOTE_CHARS, level_problems};
pub use level_trader::{LEVELS_FEED_OWNER, LevelPhase, LevelTrader, StepReport};
pub use levels::{LevelError, LevelService, LevelView, MAX_LEVELS, MAX_LOG_ENTRIES};
pub use notifications::{CENTRE_SIZE, NotificationCentre, NotificationCentreView};
pub use order_desk::{OrderDesk, OrderDeskError};
pub use order_ticket::{OrderChange, OrderTicket, TicketKind};
pub use paper_account::{PaperAccountDesk, PaperError};
pub use paper_broker::{PaperAccount, PaperBroker, PaperPosition, PaperSettings};
pub use portfolio::Portfolio;
pub use risk::{
    EntryCount, PreTradeCheck, RiskContext, RiskGate, RiskState, order_problem,
    standing_orders_problem,
};
pub use risk_service::{KillSwitchReport, RiskError, RiskLimitsDraft, RiskService};
pub use trade_rules::{DEFAULT_SQUARE_OFF_MINUTE, square_off_due, unrealised};
pub use trades::{
    EXIT_RETRY_MS, MAX_TRADES, TRADES_FEED_OWNER, TradeBook, TradeError, TradeReport, TradeService,
    TradeServiceParts, TradeView,
};
pub use trend::{TrendRule, Verdict, Watch, judge, rule_for};
