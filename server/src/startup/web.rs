//! The web builder: what the pages and server functions read — the status, the activity feed
//! and its push, the notification centre, the order desk, the site's bundle check — gathered
//! into `AppState` with the services the builders before it made.

use std::sync::Arc;

use app::state::AppState;
use osp_core::ports::{
    AlertStore, BrokerAlertStore, BusStats, DatabaseProbe, IntentStore, KiteConnection, LevelStore,
    MarketData, NotificationReads, TradeStore, Webhooks, WorkerControl,
};
use osp_core::services::activity::{Activity, NotificationCentre};
use osp_core::services::status::{StatusService, StatusSources};
use osp_core::services::trading::OrderDesk;
use tokio::task::JoinHandle;

use super::accounts::Accounts;
use super::built::Built;
use crate::bus::BusFiguresSource;
use crate::site;
use crate::websocket::activity::ActivityPush;

pub(super) struct Web {
    pub state: AppState,
    /// New activity, pushed to every websocket client.
    pub activity_push: ActivityPush,
    /// The push's reader; it stops with `shutdown`.
    pub activity_task: JoinHandle<()>,
}

impl Web {
    /// `workers`: this process's own (the topology picks the remote ones for a web process
    /// apart).
    pub fn build(built: &Built<'_>, accounts: &Accounts, workers: Arc<dyn WorkerControl>) -> Web {
        let Built {
            settings,
            infra,
            market,
            trading,
            alerts,
            ..
        } = *built;
        let local_feed = built.local_feed.clone();
        let (database, clock, topology) = (&infra.database, &infra.clock, &infra.topology);
        let status = StatusService::new(
            env!("CARGO_PKG_VERSION"),
            settings.mode,
            Arc::new(database.clone()) as Arc<dyn DatabaseProbe>,
            market.market.prices.clone() as Arc<dyn MarketData>,
            clock.clone(),
            // Stale after missing several ticks in a row, never under five seconds.
            (settings.demo.tick_interval_ms as i64 * 10).max(5_000),
            StatusSources {
                calendar: market.calendar.clone(),
                catalog: market.catalog.clone(),
                risk: trading.risk_state.clone(),
                session: market.session.clone(),
            },
        );
        let site_root = site::resolve_site_root(settings.server.site_root.as_deref());
        // A site from another build (or none) makes pages that never come alive: say so here
        // and on every page.
        let bundle = site::check_bundle(&site_root);
        if let Some(problem) = bundle.problem() {
            tracing::error!(site_root = %site_root.display(), "{problem}");
        }
        // What just happened, for the toasts (pushed over the websocket) and the notification
        // centre.
        let activity = Arc::new(Activity::new(
            Arc::new(database.clone()) as Arc<dyn AlertStore>,
            Arc::new(database.clone()) as Arc<dyn BrokerAlertStore>,
            Arc::new(database.clone()) as Arc<dyn LevelStore>,
            Arc::new(database.clone()) as Arc<dyn IntentStore>,
            Arc::new(database.clone()) as Arc<dyn TradeStore>,
            clock.clone(),
        ));
        // Apart from the workers, their announcements wake it (it polls otherwise).
        let (activity_push, activity_task) = ActivityPush::start(
            activity.clone(),
            topology.activity_wake(),
            infra.shutdown.clone(),
        );
        let state = AppState {
            kite_reads: Default::default(),
            leptos_options: site::leptos_options(&site_root, infra.addr),
            bundle,
            status: Arc::new(status),
            accounts: accounts.accounts.clone(),
            prices: market.market.prices.clone(),
            catalog: market.catalog.clone(),
            watchlists: market.watchlists.clone(),
            levels: trading.levels.clone(),
            alerts: alerts.alerts.clone(),
            kite_alerts: alerts.kite_alerts.clone(),
            desk: Arc::new(OrderDesk::new(
                trading.executor.clone(),
                Arc::new(database.clone()) as Arc<dyn IntentStore>,
                market.catalog.clone(),
            )),
            notifications: Arc::new(NotificationCentre::new(
                activity.clone(),
                Arc::new(database.clone()) as Arc<dyn NotificationReads>,
                clock.clone(),
            )),
            activity,
            orders: trading.executor.clone(),
            trades: trading.trades.clone(),
            risk: trading.risk.clone(),
            paper: trading.paper.clone(),
            // A web process apart shows the workers' processes' own, from the bus.
            workers: topology.worker_control(workers),
            feed: topology.feed_figures(local_feed, clock),
            bus: Arc::new(BusFiguresSource {
                bus: topology.bus.clone(),
                role: topology.role.label(),
            }) as Arc<dyn BusStats>,
            kite: market.kite_account.clone() as Arc<dyn KiteConnection>,
            webhooks: alerts.webhooks.clone() as Arc<dyn Webhooks>,
            calendar: market.calendar.clone(),
            clock: clock.clone(),
        };
        Web {
            state,
            activity_push,
            activity_task,
        }
    }
}
