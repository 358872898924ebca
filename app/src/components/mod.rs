//! Reusable pieces of the app shell and pages.

mod connection_indicator;
mod market_watch;
mod nav_bar;
mod offline_notice;
mod system_card;
mod theme_toggle;
mod top_bar;

pub use connection_indicator::ConnectionIndicator;
pub use market_watch::MarketWatch;
pub use nav_bar::NavBar;
pub use offline_notice::OfflineNotice;
pub use system_card::SystemCard;
pub use theme_toggle::ThemeToggle;
pub use top_bar::TopBar;
