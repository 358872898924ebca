//! Reusable pieces of the app shell and pages.

mod candle_chart;
mod connection_indicator;
mod depth_table;
mod instrument_search;
mod kill_switch_panel;
mod level_form;
mod level_table;
mod levels_csv;
mod market_watch;
mod nav_bar;
mod offline_notice;
mod order_ticket_form;
mod quote_format;
mod risk_limits_form;
mod system_card;
mod theme_toggle;
mod toasts;
mod top_bar;

pub use candle_chart::{CandleChart, PriceLine};
pub use connection_indicator::ConnectionIndicator;
pub use depth_table::DepthTable;
pub use instrument_search::InstrumentSearch;
pub use kill_switch_panel::KillSwitchPanel;
pub use level_form::{FormTarget, LevelForm};
pub use level_table::LevelTable;
pub use levels_csv::LevelsCsv;
pub use market_watch::MarketWatch;
pub use nav_bar::NavBar;
pub use offline_notice::OfflineNotice;
pub use order_ticket_form::OrderTicketForm;
pub use quote_format::{change_percent_text, change_text, day_direction};
pub use risk_limits_form::RiskLimitsForm;
pub use system_card::SystemCard;
pub use theme_toggle::ThemeToggle;
pub use toasts::Toasts;
pub use top_bar::TopBar;
