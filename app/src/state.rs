//! `AppState`: the services the server wires up, handed to server functions and SSR through
//! Leptos context (and to axum handlers as router state). Server-only.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::*;
use osp_core::ports::{BusStats, Clock, FeedStats, KiteConnection, Webhooks, WorkerControl};
use osp_core::services::accounts::AccountService;
use osp_core::services::activity::{Activity, NotificationCentre};
use osp_core::services::alerts::{AlertService, BrokerAlertDesk};
use osp_core::services::instruments::InstrumentCatalog;
use osp_core::services::market_calendar::MarketCalendar;
use osp_core::services::prices::PriceService;
use osp_core::services::status::StatusService;
use osp_core::services::trading::{
    LevelService, OrderDesk, OrderExecutor, PaperAccountDesk, RiskService, TradeService,
};
use osp_core::services::watchlists::WatchlistService;

use crate::error::AppError;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    /// Each user's budget of server functions that read from Kite.
    pub kite_reads: Arc<crate::api::access::KiteReadBudgets>,
    /// Whether the site's wasm bundle is from this server's build (checked at start-up).
    pub bundle: crate::build_info::BundleCheck,
    pub status: Arc<StatusService>,
    /// App users: sign-in, the first admin, the admin's user management.
    pub accounts: Arc<AccountService>,
    pub prices: Arc<PriceService>,
    pub catalog: Arc<InstrumentCatalog>,
    pub watchlists: Arc<WatchlistService>,
    pub levels: Arc<LevelService>,
    /// Price alerts: made and edited here, watched by the alert worker, and their history.
    pub alerts: Arc<AlertService>,
    /// Kite's own alerts (simple and ATO): made at Kite, mirrored, synced.
    pub kite_alerts: Arc<BrokerAlertDesk>,
    /// The order book: every order the platform recorded, and where it stands.
    pub orders: Arc<OrderExecutor>,
    /// Manual orders: the ticket, modify and cancel.
    pub desk: Arc<OrderDesk>,
    /// What just happened (triggers, fills, rejections, closed trades, alerts), for the toasts.
    pub activity: Arc<Activity>,
    /// The notification centre: the newest activity and each user's unread count.
    pub notifications: Arc<NotificationCentre>,
    /// The trade monitor: trades, positions and their P&L; the exit button.
    pub trades: Arc<TradeService>,
    /// The risk limits and the kill switch.
    pub risk: Arc<RiskService>,
    /// The paper account, in paper mode only (capital, funds, positions; reset).
    pub paper: Option<Arc<PaperAccountDesk>>,
    /// The background workers' supervisor: their states, and restart.
    pub workers: Arc<dyn WorkerControl>,
    /// The live feed's figures (connections, instruments, ticks).
    pub feed: Arc<dyn FeedStats>,
    /// The event bus: in process, or Redis between processes with the others heard on it.
    pub bus: Arc<dyn BusStats>,
    /// The account's Kite connection: app credentials (sealed), session, disconnect.
    pub kite: Arc<dyn KiteConnection>,
    /// The outgoing webhook alert firings are sent to, and its delivery log.
    pub webhooks: Arc<dyn Webhooks>,
    pub calendar: Arc<MarketCalendar>,
    pub clock: Arc<dyn Clock>,
}

/// The state for the current request, or an internal error if the server forgot to provide it.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::internal("AppState is not in context"))
}
