//! Trading: the engine (`engine`: the loop — ticks, order updates, timers and changes in, a
//! report out) over five groups, each importing only those after it:
//!
//! - `strategy`: levels — valid levels and their form, the level index, trend detector and
//!   monitor (each crossing triggers at most once per arm), the order a trigger places, the
//!   level trader that runs it all on live ticks, and the level service (CRUD, CSV);
//! - `risk`: the gate every order meets (`gate`: limits, the kill switch, the price band,
//!   orders and loss per day, read from memory) and the risk service that edits them;
//! - `portfolio`: today's trades in memory and the P&L over them, the trade's rules and the
//!   trade monitor (target / stop / trailing exits, square-off, the trade book);
//! - `execution`: the order intent's exactly-once transitions and the executor that drives
//!   them, which cannot be built without its pre-trade check and the broker session; every
//!   order's own rules; the manual ticket and the order desk;
//! - `venues`: the paper broker and the paper account.

mod engine;
#[cfg(test)]
mod engine_scenarios;
mod execution;
mod portfolio;
mod risk;
#[cfg(test)]
mod scenarios;
mod strategy;
mod venues;

pub use engine::{EngineReport, Timer, TradingEngine, TradingEngineParts};
pub use execution::PreTradeCheck;
pub use execution::broker_session::{BrokerSession, DAILY_EXPIRY_REASON, kite_session_end_ms};
pub use execution::executor::{ExecError, LOST_ANSWER_SETTLE_MS, OrderExecutor};
pub use execution::intents::{IntentError, IntentEvent, Reconciliation, advance, reconcile};
pub use execution::order_desk::{OrderDesk, OrderDeskError};
pub use execution::order_ticket::{OrderChange, OrderTicket, TicketKind};
pub use portfolio::Portfolio;
pub use portfolio::protection::{
    MAX_MODIFICATIONS, MOVES_PER_MINUTE, PROTECTIVE_GRACE_MS, protective_order,
};
pub use portfolio::trade_rules::{
    DEFAULT_SQUARE_OFF_MINUTE, exit_prices, square_off_due, unrealised,
};
pub use portfolio::trades::mismatches_now;
pub use portfolio::trades::{
    AccountPosition, AccountView, AdoptionDraft, EXIT_RETRY_MS, MAX_TRADES, STATEMENT_TTL_MS,
    StatementView, TradeBook, TradeError, TradeReport, TradeService, TradeServiceParts, TradeView,
    account_positions, adopted_trade, outside_exit_order,
};
pub use risk::gate::{
    EntryCount, RiskContext, RiskGate, RiskState, mismatch_problem, order_problem,
    standing_orders_problem,
};

pub use risk::service::{KillSwitchReport, RiskError, RiskLimitsDraft, RiskService};
pub use risk::standing::{StandDown, StandingOrders};
pub use strategy::level_draft::{
    ConfirmationChoice, LevelDraft, RearmChoice, clock_text, parse_clock, parse_distance,
};
pub use strategy::level_index::{Crossed, LevelId, LevelIndex};
pub use strategy::level_monitor::{LevelEvent, LevelMonitor, LevelSpec, LevelState};
pub use strategy::level_orders::order_for;
pub use strategy::level_rules::{MAX_NOTE_CHARS, level_problems};
pub use strategy::level_trader::{
    LEVELS_FEED_OWNER, LevelPhase, LevelSeen, LevelTrader, StepReport,
};
pub use strategy::levels::{LevelError, LevelService, LevelView, MAX_LEVELS, MAX_LOG_ENTRIES};
pub use strategy::trend::{TrendRule, Verdict, Watch, judge, rule_for};
pub use venues::paper_account::{PaperAccountDesk, PaperError};
pub use venues::paper_broker::{PaperAccount, PaperBroker, PaperPosition, PaperSettings};
