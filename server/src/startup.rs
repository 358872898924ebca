//! The composition root: builds the adapters (database, the Kite connection — the in-process
//! simulator in demo mode —, broker, bus, clock), wires them into the core's services (prices,
//! subscriptions, instruments, watchlists, levels, orders, trades, risk, calendar, status, accounts,
//! the Kite connection), starts the workers under their manager, hands the services to Leptos as
//! `AppState`, puts every route behind the sessions, the guard and the security headers, and
//! serves HTTP (and `/metrics` on its own listener) until told to stop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use app::state::AppState;
use app::{App, shell};
use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::routing::{any, get, post};
use leptos_axum::{LeptosRoutes, generate_route_list};
use osp_core::model::{FeedMode, InstrumentToken, TradingMode};
use osp_core::ports::{
    AlertStore, BrokerAlertStore, BusStats, ChangeNotifier, Clock, DatabaseProbe, FeedStats,
    IntentStore, KiteConnection, LeaseStore, LevelStore, MarketData, MarketFeed, NotificationReads,
    RiskStore, TickBus, TradeStore, TradingLease, UserStore, WatchlistStore, Webhooks,
    WorkerControl,
};
use osp_core::services::accounts::{AccountService, LockoutPolicy};
use osp_core::services::alerts::{AlertService, BrokerAlertDesk};
use osp_core::services::announcer::Announcer;
use osp_core::services::instruments::InstrumentCatalog;
use osp_core::services::market_calendar::MarketCalendar;
use osp_core::services::prices::{FeedSubscriptions, PriceService, demo_instruments};
use osp_core::services::status::{StatusService, StatusSources};
use osp_core::services::trading::{
    Activity, BrokerSession, LevelService, LevelTrader, NotificationCentre, OrderDesk,
    OrderExecutor, PreTradeCheck, RiskGate, RiskService, TradeService, TradeServiceParts,
};
use osp_core::services::watchlists::WatchlistService;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::auth::{self, Argon2Hasher};
use crate::bus::{BusFiguresSource, RedisBus, RelayedFeed, RemoteFeed, RemoteWorkers};
use crate::clock::SystemClock;
use crate::config::Profile;
use crate::config::{KiteEndpoint, Settings};
use crate::database::Database;
use crate::demo;
use crate::http::{api_fallback, health, kite, levels_csv, middleware, ready};
use crate::instruments_loader::InstrumentsLoader;
use crate::integrations::kite::gated_feed::GatedFeed;
use crate::kite_connection::{KiteAccount, KiteAccountParts};
use crate::market::{self, KiteMarket, TickerTiming};
use crate::metrics;
use crate::secrets::SecretBox;
use crate::site;
use crate::venue;
use crate::webhooks::WebhookSender;
use crate::websocket::activity::ActivityPush;
use crate::websocket::prices::PriceStream;
use crate::workers::{
    ALERTS_LEASE, AlertWorker, ChangeFollower, KITE_ALERTS_LEASE, KiteAlertSync, Lease,
    PaperMatcher, RestartPolicy, TRADING_LEASE, TradingWorker, WEBHOOKS_LEASE, WebParts,
    WebhookWorker, WorkerManager,
};

/// What one `osp` process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The web app and the workers (`osp serve`, the default).
    All,
    /// Only the web app (`osp serve --no-workers`): no ticker (prices come over the bus), no
    /// worker, and no order sent from here — each is recorded for the workers to send.
    Web,
    /// Only the workers and the ticker (`osp workers`), with `/health` and `/ready`.
    Workers,
}

impl Role {
    fn runs_workers(self) -> bool {
        self != Role::Web
    }

    fn label(self) -> &'static str {
        match self {
            Role::All => "web and workers",
            Role::Web => "web only",
            Role::Workers => "workers only",
        }
    }
}

/// Why this layout cannot run as configured, if it cannot.
fn layout_problem(settings: &Settings, role: Role) -> Option<String> {
    let apart = role != Role::All;
    if apart && settings.bus.url.is_none() {
        return Some(format!(
            "running {} needs the bus between the processes: set OSP__BUS__URL=redis://HOST:PORT \
             (and a database every process shares, e.g. OSP__DATABASE__URL=postgres://…)",
            role.label()
        ));
    }
    // One process alone needs nothing more.
    settings.bus.url.as_ref()?;
    if settings.kite.endpoint == KiteEndpoint::Simulator {
        return Some(
            "processes sharing a bus must share one Kite: the in-process simulator is each \
             process's own. Run `osp kite-sim` and set OSP__KITE__ENDPOINT=http://HOST:PORT in \
             every process (or use Zerodha's Kite)"
                .to_owned(),
        );
    }
    if settings.mode == TradingMode::Paper {
        return Some(
            "paper trading's simulated fills live in one process: run `osp serve` without \
             OSP__BUS__URL in paper mode"
                .to_owned(),
        );
    }
    None
}

/// How long in-flight requests get to finish after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Application {
    listener: TcpListener,
    router: Router,
    parts: Running,
}

/// What runs behind the router, stopped in order at shutdown.
struct Running {
    database: Database,
    shutdown: CancellationToken,
    /// The Kite client, ticker and prices; held for the app's lifetime (dropping the
    /// ticker's handle would stop it).
    market: KiteMarket,
    /// The in-process simulator the market runs on, in demo mode (and a paper rehearsal).
    demo: Option<demo::DemoMarket>,
    subscriptions: Arc<FeedSubscriptions>,
    /// The daily instruments reload; stops with `shutdown`.
    instruments_task: tokio::task::JoinHandle<()>,
    /// The supervised workers (trading, webhooks, alerts, Kite alerts; paper matcher in paper
    /// mode) and the activity push; they stop with `shutdown`.
    workers: Vec<tokio::task::JoinHandle<()>>,
    /// Where `/metrics` is served, if anywhere.
    metrics_listener: Option<TcpListener>,
    /// Sweeps expired sessions; aborted at shutdown.
    sessions_task: tokio::task::JoinHandle<()>,
    /// The bus's relays and followers (none in one process alone); they stop with `shutdown`.
    bus_tasks: Vec<tokio::task::JoinHandle<()>>,
    /// The bus to the other processes, if they share one.
    bus: Option<Arc<RedisBus>>,
}

/// The feed owner that keeps the indices subscribed.
const PULSE_OWNER: &str = "market-pulse";
/// The feed owner that keeps the starter watchlist's instruments subscribed.
const STARTER_OWNER: &str = "starter-watchlist";
/// NIFTY 50 and NIFTY BANK (Kite's tokens).
const PULSE_TOKENS: [u32; 2] = [256_265, 260_105];
/// How long start-up waits for the first prices.
const FIRST_PRICES_TIMEOUT: Duration = Duration::from_secs(10);

impl Application {
    /// Connects and migrates the database, binds the listen address, and builds the router.
    /// Nothing runs until `run_until_stopped`.
    pub async fn build(settings: &Settings) -> anyhow::Result<Application> {
        Self::build_as(settings, Role::All).await
    }

    /// `build`, for one part of the app (`osp serve --no-workers`, `osp workers`).
    pub async fn build_as(settings: &Settings, role: Role) -> anyhow::Result<Application> {
        if let Some(problem) = layout_problem(settings, role) {
            anyhow::bail!(problem);
        }
        // Before anything is recorded: what start-up does (the login, the instruments) counts.
        metrics::handle();
        let database = Database::connect(&settings.database).await?;
        database.migrate().await?;
        // A database belongs to one mode: demo orders are never reconciled by the paper broker.
        database.claim_mode(settings.mode).await?;
        tracing::info!(backend = database.backend_name(), "database ready");

        let listener = bind(settings.server.addr).await?;
        let addr = listener.local_addr().context("reading the bound address")?;

        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let shutdown = CancellationToken::new();
        // The bus to the other processes, when there are any.
        let bus = match &settings.bus.url {
            Some(url) => {
                use secrecy::ExposeSecret;
                let bus = RedisBus::connect(url.expose_secret(), shutdown.clone()).await?;
                if !bus.wait_connected(Duration::from_secs(5)).await {
                    anyhow::bail!(
                        "the bus at {} accepted a connection but not a subscription: {}",
                        bus.figures().address,
                        bus.figures().last_error.unwrap_or_default()
                    );
                }
                tracing::info!(address = %bus.figures().address, process = bus.process(), role = role.label(), "bus connected");
                Some(bus)
            }
            None => None,
        };
        let announce = bus.clone().map(|b| b as Arc<dyn ChangeNotifier>);
        // Kite's secret and tokens are stored sealed; production has to bring its own key.
        let secrets = SecretBox::load(
            settings.secrets.key.as_ref(),
            &settings.data_dir,
            settings.profile != Profile::Production,
        )?;
        // Where a Kite login comes back to: this server, as a browser on this machine sees it.
        let callback_host = if addr.ip().is_unspecified() {
            SocketAddr::from(([127, 0, 0, 1], addr.port()))
        } else {
            addr
        };
        let callback_url = format!("http://{callback_host}/kite/callback");
        // The market data: the in-process simulator through the real Kite protocol (demo
        // mode, already logged in), or Kite itself (paper and live mode), whose session comes
        // from the last login if it is still today's, else from Connect Kite.
        let (market, demo) = match &settings.kite.endpoint {
            KiteEndpoint::Simulator => {
                let (market, demo) = demo::start(
                    &settings.demo,
                    callback_url,
                    clock.clone(),
                    shutdown.clone(),
                )
                .await?;
                (market, Some(demo))
            }
            KiteEndpoint::Remote(endpoints) => {
                tracing::info!(
                    mode = ?settings.mode,
                    api_root = %endpoints.api_root,
                    "market data from Kite; its login page must send the browser back to \
                     this app's /kite/callback (the redirect URL of the Kite app)"
                );
                let market = market::connect(
                    endpoints.clone(),
                    "",
                    None,
                    TickerTiming::INTERNET,
                    clock.clone(),
                    shutdown.clone(),
                )?;
                (market, None)
            }
        };
        // Once the broker says the Kite session is gone (or it is disconnected, or 06:00 IST
        // passes), nothing is sent and no level triggers until Kite is connected again.
        let broker_session = Arc::new(BrokerSession::new(clock.clone()));
        let kite_account = Arc::new(KiteAccount::new(KiteAccountParts {
            session: broker_session.clone(),
            database: database.clone(),
            secrets: secrets.clone(),
            client: market.client.clone(),
            api_secret: demo.as_ref().map(|d| d.api_secret.clone()),
            simulated: demo.is_some(),
            clock: clock.clone(),
            order_updates: market.live.order_sender(),
            changes: announce.clone(),
        }));
        if demo.is_some() {
            // The demo's session starts with the simulator's login made above.
            broker_session.started(clock.now_ms());
        } else {
            let configured = settings
                .kite
                .api_key
                .clone()
                .zip(settings.kite.api_secret.clone());
            kite_account
                .resume(configured)
                .await
                .map_err(|e| anyhow::anyhow!("cannot read the saved Kite connection: {e}"))?;
        }
        let calendar = Arc::new(match settings.mode {
            // The simulator trades around the clock; so does the calendar of its market.
            TradingMode::Demo | TradingMode::Paper => MarketCalendar::around_the_clock(),
            TradingMode::Live => MarketCalendar::new(settings.market.holidays.iter().copied()),
        });

        let catalog = Arc::new(InstrumentCatalog::default());
        let loader = Arc::new(InstrumentsLoader::new(
            database.clone(),
            market.client.clone(),
            catalog.clone(),
            clock.clone(),
        ));
        let instruments_task = if role.runs_workers() {
            loader
                .start(shutdown.clone(), Announcer::maybe(announce.clone()))
                .await
        } else {
            loader.follow_stored(shutdown.clone(), bus.as_ref().map(|b| b.changes()))
        };

        // A web process apart from the workers has no ticker: what its pages follow goes to
        // the workers' ticker over the bus, and the ticks come back the same way.
        // Workers sharing a bus connect Kite's ticker only where a lease is held.
        let ticker_gate = (bus.is_some() && role.runs_workers())
            .then(|| GatedFeed::new(market.feed.clone() as Arc<dyn MarketFeed>));
        let subscriptions = Arc::new(FeedSubscriptions::new(match (role, &bus, &ticker_gate) {
            (Role::Web, Some(bus), _) => {
                RelayedFeed::start(bus.clone(), market.feed.capacity(), shutdown.clone())
                    as Arc<dyn MarketFeed>
            }
            (_, _, Some(gate)) => gate.clone() as Arc<dyn MarketFeed>,
            _ => market.feed.clone() as Arc<dyn MarketFeed>,
        }));
        let mut bus_tasks = Vec::new();
        if let Some(bus) = &bus {
            // Relayed from the process whose ticker is connected; read by every other one.
            let connected: Arc<dyn Fn() -> bool + Send + Sync> = match &ticker_gate {
                Some(gate) => {
                    let gate = gate.clone();
                    Arc::new(move || gate.is_open())
                }
                None => Arc::new(|| false),
            };
            let not_connected: Arc<dyn Fn() -> bool + Send + Sync> = {
                let connected = connected.clone();
                Arc::new(move || !connected())
            };
            if role.runs_workers() {
                bus_tasks.push(bus.relay_ticks(
                    market.bus.clone() as Arc<dyn TickBus>,
                    connected,
                    shutdown.clone(),
                ));
                bus_tasks.push(bus.follow_interests(subscriptions.clone(), shutdown.clone()));
            }
            bus_tasks.push(bus.spawn_tick_source(
                market.prices.clone(),
                clock.clone(),
                not_connected,
                shutdown.clone(),
            ));
        }
        // The indices stay subscribed whatever the pages show: the status's "feed streaming"
        // and the market's pulse.
        subscriptions
            .set(
                PULSE_OWNER,
                PULSE_TOKENS.map(InstrumentToken),
                FeedMode::Quote,
            )
            .map_err(|e| anyhow::anyhow!("cannot follow the market pulse: {e}"))?;
        // The simulator streams at once: one that does not is a fault. Kite streams once it is
        // connected and the market is open, which start-up does not wait for.
        if demo.is_some()
            && !market
                .live
                .wait_for_first_update(FIRST_PRICES_TIMEOUT)
                .await
        {
            anyhow::bail!(
                "the market did not stream within {} s (ticker: {:?})",
                FIRST_PRICES_TIMEOUT.as_secs(),
                market.pool.states().await
            );
        }
        let watchlists = Arc::new(WatchlistService::new(
            Arc::new(database.clone()) as Arc<dyn WatchlistStore>,
            catalog.clone(),
            subscriptions.clone(),
            demo_instruments().into_iter().map(|i| i.token).collect(),
        ));
        // The starter list's instruments are followed from the start, so a new user's first
        // page has their prices.
        let starter: Vec<InstrumentToken> =
            demo_instruments().into_iter().map(|i| i.token).collect();
        subscriptions
            .set(STARTER_OWNER, starter.iter().copied(), FeedMode::Quote)
            .map_err(|e| anyhow::anyhow!("cannot follow the starter instruments: {e}"))?;
        if demo.is_some() {
            wait_for_prices(&market.prices, &starter, FIRST_PRICES_TIMEOUT).await;
        }
        // Orders go to the venue chosen here, once: demo mode's simulator through the real Kite
        // client, or paper mode's paper broker (which holds no Kite client). Its order updates
        // are subscribed before anything is sent, so no fill reported from here on is missed.
        let venue = venue::choose(
            settings,
            &market,
            demo.is_some(),
            &database,
            &catalog,
            &clock,
        )
        .await?;
        let broker = venue.broker.clone();
        let order_events = venue.order_events;
        let paper_broker = venue.paper_broker;
        let paper = venue.paper;
        // Every order passes the account's risk limits and kill switch (stored, so a switch
        // engaged before a restart still holds) before it can reach the broker.
        let risk_store = Arc::new(database.clone()) as Arc<dyn RiskStore>;
        let risk_state = Arc::new(
            RiskService::load_state(risk_store.as_ref())
                .await
                .map_err(|e| anyhow::anyhow!("cannot load the risk settings: {e}"))?,
        );
        if risk_state.halted() {
            tracing::warn!(
                "the kill switch is on: no level triggers and no entry order goes out until it is released on the Trades page"
            );
        }
        let gate = RiskGate {
            state: risk_state.clone(),
            intents: Arc::new(database.clone()) as Arc<dyn IntentStore>,
            trades: Arc::new(database.clone()) as Arc<dyn TradeStore>,
            market: market.prices.clone() as Arc<dyn MarketData>,
            catalog: catalog.clone(),
            clock: clock.clone(),
            // With the web side elsewhere, its kill switch is read at every order, not only
            // when the bus says so.
            stored: (bus.is_some() && role.runs_workers()).then(|| risk_store.clone()),
        };
        let gate = Arc::new(gate) as Arc<dyn PreTradeCheck>;
        // Kite's own alerts: made, mirrored and synced here; ATO ones only where the venue
        // sends orders to Kite, and their baskets meet the same gate before Kite is given them.
        let kite_alerts = Arc::new(BrokerAlertDesk::new(
            venue.alerts,
            venue.alert_orders,
            Arc::new(database.clone()) as Arc<dyn BrokerAlertStore>,
            catalog.clone(),
            clock.clone(),
            gate.clone(),
        ));
        // A lease in the database, renewed every third of `workers.lease_ttl_ms`.
        let named_lease = |name: &'static str| {
            Arc::new(Lease::new(
                Arc::new(database.clone()) as Arc<dyn LeaseStore>,
                clock.clone(),
                name,
                settings.workers.lease_ttl,
            ))
        };
        // Only the process holding the trading lease sends orders: a second `osp serve` on the
        // same database stands by (and refuses its own orders with the reason) until the
        // lease lapses or is given up.
        let lease = named_lease(TRADING_LEASE);
        // A web process apart from the workers never takes it: it sends no order at all.
        match if role.runs_workers() {
            lease.try_hold().await
        } else {
            Ok(true)
        } {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                holder = %lease.current_holder().await.unwrap_or_default(),
                "another server process holds the trading lease on this database: this one \
                 stands by and sends no orders until that one stops"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "the trading lease could not be taken; trying again")
            }
        }
        let executor = OrderExecutor::new(
            Arc::new(database.clone()) as Arc<dyn IntentStore>,
            broker,
            clock.clone(),
            gate,
            broker_session.clone(),
        );
        // Apart from the workers, orders are recorded here and sent by the lease holder there.
        let executor = Arc::new(match (role, &announce) {
            (Role::Web, Some(workers)) => executor.deferring(workers.clone()),
            _ => executor.with_lease(lease.clone() as Arc<dyn TradingLease>),
        });
        // Before anything new is sent: orders a crash left pending are found by tag or sent
        // (by the lease holder only; a standby's trading worker does it once it takes over).
        if role.runs_workers()
            && let Err(e) = executor.reconcile_pending().await
        {
            tracing::warn!(error = %e, "pending orders could not be reconciled at start-up; the level worker retries every minute");
        }
        let level_store = Arc::new(database.clone()) as Arc<dyn LevelStore>;
        let trader = Arc::new(
            LevelTrader::new(
                level_store.clone(),
                executor.clone(),
                catalog.clone(),
                subscriptions.clone(),
                clock.clone(),
                risk_state.clone(),
            )
            .with_session(broker_session.clone()),
        );
        let watched = trader
            .load()
            .await
            .map_err(|e| anyhow::anyhow!("cannot load the levels: {e}"))?;
        tracing::info!(levels = watched, "levels loaded");
        let mut levels =
            LevelService::new(level_store, catalog.clone(), trader.clone(), clock.clone());
        if let Some(announce) = &announce {
            levels = levels.with_changes(announce.clone());
        }
        let levels = Arc::new(levels);
        // Price alerts: watched by the alert worker (while this process holds the alerts lease),
        // every firing kept in their history.
        let mut alerts = AlertService::new(
            Arc::new(database.clone()) as Arc<dyn AlertStore>,
            market.prices.clone() as Arc<dyn MarketData>,
            catalog.clone(),
            subscriptions.clone(),
            clock.clone(),
        );
        if let Some(announce) = &announce {
            alerts = alerts.with_changes(announce.clone());
        }
        let alerts = Arc::new(alerts);
        let watched_alerts = alerts
            .load()
            .await
            .map_err(|e| anyhow::anyhow!("cannot load the alerts: {e}"))?;
        tracing::info!(alerts = watched_alerts, "alerts loaded");
        let trades = Arc::new(TradeService::new(TradeServiceParts {
            store: Arc::new(database.clone()) as Arc<dyn TradeStore>,
            levels: Arc::new(database.clone()) as Arc<dyn LevelStore>,
            executor: executor.clone(),
            catalog: catalog.clone(),
            market: market.prices.clone() as Arc<dyn MarketData>,
            subscriptions: subscriptions.clone(),
            clock: clock.clone(),
            square_off_minute: settings.trading.square_off_minute,
        }));
        // Open trades are watched again, and fills a crash left unapplied open their trades
        // (by the workers: a web process apart from them watches nothing and catches up nothing).
        if role.runs_workers() {
            let report = trades
                .load()
                .await
                .map_err(|e| anyhow::anyhow!("cannot load the trades: {e}"))?;
            for error in &report.errors {
                tracing::warn!(%error, "trade catch-up at start-up");
            }
        }
        let mut risk = RiskService::new(
            risk_store,
            risk_state.clone(),
            executor.clone(),
            trades.clone(),
            clock.clone(),
        );
        if let Some(announce) = &announce {
            risk = risk.with_changes(announce.clone());
        }
        let risk = Arc::new(risk);
        // Each worker runs under the manager: restarted with back-off when it panics or stops,
        // marked failed after too many stops in a row. The trading worker runs only while this
        // process holds the trading lease; each run reloads levels, trades and limits, reads
        // order updates from then on, and its first housekeeping catches up with the broker.
        let manager = Arc::new(WorkerManager::new(clock.clone(), RestartPolicy::default()));
        let mut workers = Vec::new();
        // Alert firings go to the account's webhook (if one is set), signed and retried.
        let webhooks = Arc::new(
            WebhookSender::new(database.clone(), secrets.clone(), clock.clone())
                .context("building the webhook client")?,
        );
        // The others' announcements: a Kite login anywhere reaches this process's client, and a
        // web process apart from the workers reads again what it shows.
        if let Some(bus) = &bus {
            let follower = ChangeFollower {
                kite: kite_account.clone(),
                configured: settings
                    .kite
                    .api_key
                    .clone()
                    .zip(settings.kite.api_secret.clone()),
                web: (!role.runs_workers()).then(|| WebParts {
                    trader: trader.clone(),
                    alerts: alerts.clone(),
                    risk: risk.clone(),
                }),
            };
            bus_tasks.push(follower.spawn(bus.changes(), shutdown.clone()));
        }
        // A web process apart from the workers runs none: they run in `osp workers`.
        if role.runs_workers() {
            // What the web processes change is heard by each run of the trading and alert
            // workers (nothing, in one process alone).
            let changes = {
                let bus = bus.clone();
                Arc::new(move || bus.as_ref().map(|b| b.changes()))
            };
            let trading_lease = lease.clone() as Arc<dyn TradingLease>;
            // Start-up loaded everything just now; a run that starts later (a restart, or a
            // standby taking over) reads it all again.
            let fresh = lease.held();
            workers.push(
                manager.supervise_leased("trading", shutdown.clone(), lease, {
                    let changes = changes.clone();
                    let announce = announce.clone();
                    let (trader, trades, executor, risk) =
                        (trader, trades.clone(), executor.clone(), risk.clone());
                    let bus = market.bus.clone() as Arc<dyn TickBus>;
                    // The first run reads the receiver subscribed before anything was sent; a later
                    // run reads a fresh one from the spare.
                    let spare = order_events.resubscribe();
                    let mut first = Some(order_events);
                    move |run| {
                        let reload = first.is_none() || !fresh;
                        let order_events = first.take().unwrap_or_else(|| spare.resubscribe());
                        let worker = TradingWorker {
                            trader: trader.clone(),
                            trades: trades.clone(),
                            risk: risk.clone(),
                            executor: executor.clone(),
                            bus: bus.clone(),
                            order_events,
                            reload,
                            changes: changes(),
                            announce: Announcer::maybe(announce.clone()),
                        };
                        worker.run_until_stopped(run)
                    }
                }),
            );
            // The trading worker sends orders: it shows as paused while the Kite session has ended.
            manager.pauses_with("trading", broker_session.clone());
            // One process sends the deliveries (a second stands by): an attempt is made once.
            let webhooks_lease = named_lease(WEBHOOKS_LEASE);
            workers.push(
                manager.supervise_leased("webhooks", shutdown.clone(), webhooks_lease, {
                    let webhooks = webhooks.clone();
                    move |run| {
                        WebhookWorker {
                            sender: webhooks.clone(),
                        }
                        .run_until_stopped(run)
                    }
                }),
            );
            // Only one process's alert monitor fires alerts; a second stands by.
            let alerts_lease = named_lease(ALERTS_LEASE);
            let alerts_fresh = alerts_lease.try_hold().await.unwrap_or(false);
            if let Some(ticker_gate) = &ticker_gate {
                bus_tasks.push(ticker_gate.open_while(
                    vec![
                        trading_lease.clone(),
                        alerts_lease.clone() as Arc<dyn TradingLease>,
                    ],
                    shutdown.clone(),
                ));
            }
            workers.push(
                manager.supervise_leased("alerts", shutdown.clone(), alerts_lease, {
                    let changes = changes.clone();
                    let announce = announce.clone();
                    let alerts = alerts.clone();
                    let bus = market.bus.clone() as Arc<dyn TickBus>;
                    let mut first = true;
                    move |run| {
                        let reload = !first || !alerts_fresh;
                        first = false;
                        AlertWorker {
                            alerts: alerts.clone(),
                            bus: bus.clone(),
                            reload,
                            changes: changes(),
                            announce: Announcer::maybe(announce.clone()),
                        }
                        .run_until_stopped(run)
                    }
                }),
            );
            // Kite's alerts are read back into the mirror, and what Kite fired is recorded.
            // One process reads Kite's alerts back (a second stands by): one set of Kite calls.
            let kite_alerts_lease = named_lease(KITE_ALERTS_LEASE);
            workers.push(manager.supervise_leased(
                "kite-alerts",
                shutdown.clone(),
                kite_alerts_lease,
                {
                    let (desk, session) = (kite_alerts.clone(), broker_session.clone());
                    let announce = announce.clone();
                    let every = settings.workers.kite_alerts_sync;
                    move |run| {
                        KiteAlertSync {
                            desk: desk.clone(),
                            session: session.clone(),
                            every,
                            announce: Announcer::maybe(announce.clone()),
                        }
                        .run_until_stopped(run)
                    }
                },
            ));
            manager.pauses_with("kite-alerts", broker_session.clone());
            if let Some(paper) = paper_broker {
                let matcher = Arc::new(PaperMatcher {
                    paper,
                    bus: market.bus.clone() as Arc<dyn TickBus>,
                });
                workers.push(
                    manager.supervise("paper-matcher", shutdown.clone(), move |run| {
                        let matcher = matcher.clone();
                        async move {
                            matcher.run_until_stopped(run).await;
                            Ok(())
                        }
                    }),
                );
            }
        }
        let status = StatusService::new(
            env!("CARGO_PKG_VERSION"),
            settings.mode,
            Arc::new(database.clone()) as Arc<dyn DatabaseProbe>,
            market.prices.clone() as Arc<dyn MarketData>,
            clock.clone(),
            // Stale after missing several ticks in a row, never under five seconds.
            (settings.demo.tick_interval_ms as i64 * 10).max(5_000),
            StatusSources {
                calendar: calendar.clone(),
                catalog: catalog.clone(),
                risk: risk_state,
                session: broker_session.clone(),
            },
        );

        let accounts = Arc::new(AccountService::new(
            Arc::new(database.clone()) as Arc<dyn UserStore>,
            Arc::new(Argon2Hasher),
            clock.clone(),
            LockoutPolicy {
                max_failures: settings.auth.lockout_failures,
                lock_ms: i64::from(settings.auth.lockout_minutes) * 60_000,
                ..LockoutPolicy::default()
            },
            Arc::new(auth::Totp {
                secrets: secrets.clone(),
            }),
        ));
        match accounts.needs_setup().await {
            Ok(true) => tracing::warn!(
                "no user yet: open the app to create the first admin (or run `osp user create --admin`)"
            ),
            Ok(false) => {}
            Err(e) => anyhow::bail!("cannot read the users: {e}"),
        }
        let sessions = auth::SessionBackend::new(&database)?;
        let sessions_task = tokio::spawn(sessions.clone().sweep());

        let site_root = site::resolve_site_root(settings.server.site_root.as_deref());
        // A site from another build (or none) makes pages that never come alive: say so here
        // and on every page.
        let bundle = site::check_bundle(&site_root);
        if let Some(problem) = bundle.problem() {
            tracing::error!(site_root = %site_root.display(), "{problem}");
        }
        let leptos_options = site::leptos_options(&site_root, addr);
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
        let local_feed = Arc::new(market::FeedFiguresSource {
            pool: market.pool.clone(),
            prices: market.prices.clone(),
            clock: clock.clone(),
        }) as Arc<dyn FeedStats>;
        // The workers' processes say how they stand, for the web processes' Settings page.
        if let (Some(bus), true) = (&bus, role.runs_workers()) {
            let feed_open: Arc<dyn Fn() -> bool + Send + Sync> = match &ticker_gate {
                Some(gate) => {
                    let gate = gate.clone();
                    Arc::new(move || gate.is_open())
                }
                None => Arc::new(|| true),
            };
            bus_tasks.push(bus.announce_status(
                addr.to_string(),
                role.label(),
                manager.clone() as Arc<dyn WorkerControl>,
                local_feed.clone(),
                feed_open,
                shutdown.clone(),
            ));
        }
        let (activity_push, activity_task) = ActivityPush::start(
            activity.clone(),
            // Apart from the workers, their announcements wake it (it polls otherwise).
            match (&bus, role) {
                (Some(bus), Role::Web) => Some(bus.changes()),
                _ => None,
            },
            shutdown.clone(),
        );
        workers.push(activity_task);
        let state = AppState {
            leptos_options: leptos_options.clone(),
            bundle,
            status: Arc::new(status),
            accounts: accounts.clone(),
            prices: market.prices.clone(),
            catalog: catalog.clone(),
            watchlists,
            levels,
            alerts,
            kite_alerts,
            desk: Arc::new(OrderDesk::new(
                executor.clone(),
                Arc::new(database.clone()) as Arc<dyn IntentStore>,
                catalog.clone(),
            )),
            notifications: Arc::new(NotificationCentre::new(
                activity.clone(),
                Arc::new(database.clone()) as Arc<dyn NotificationReads>,
                clock.clone(),
            )),
            activity,
            orders: executor,
            trades,
            risk,
            paper,
            // A web process apart shows the workers' processes' own, from the bus.
            workers: match (&bus, role) {
                (Some(bus), Role::Web) => {
                    Arc::new(RemoteWorkers { bus: bus.clone() }) as Arc<dyn WorkerControl>
                }
                _ => manager.clone() as Arc<dyn WorkerControl>,
            },
            feed: match (&bus, role) {
                (Some(bus), Role::Web) => Arc::new(RemoteFeed {
                    bus: bus.clone(),
                    clock: clock.clone(),
                }) as Arc<dyn FeedStats>,
                _ => local_feed.clone(),
            },
            bus: Arc::new(BusFiguresSource {
                bus: bus.clone(),
                role: role.label(),
            }) as Arc<dyn BusStats>,
            kite: kite_account.clone() as Arc<dyn KiteConnection>,
            webhooks: webhooks as Arc<dyn Webhooks>,
            calendar,
            clock: clock.clone(),
        };
        let clock_for_guard = clock;

        let stream = PriceStream {
            bus: market.bus.clone() as Arc<dyn TickBus>,
            prices: market.prices.clone(),
            subscriptions: subscriptions.clone(),
            min_interval: settings.stream.min_interval(),
            activity: activity_push,
            shutdown: shutdown.clone(),
        };
        let ready_route = {
            let (bus, local) = (bus.clone(), manager.clone() as Arc<dyn WorkerControl>);
            move |state| ready::ready(state, bus.clone(), local.clone())
        };
        let metrics_listener = match settings.metrics.addr {
            Some(addr) => metrics::bind(addr).await,
            None => None,
        };
        let parts = Running {
            database,
            shutdown,
            market,
            demo,
            subscriptions,
            instruments_task,
            workers,
            metrics_listener,
            sessions_task,
            bus_tasks,
            bus,
        };
        if role == Role::Workers {
            // No pages and no sign-in here: the health checks only.
            let router = Router::new()
                .route("/health", get(health::health))
                .route("/ready", get(ready_route))
                .with_state(state);
            return Ok(Application {
                listener,
                router: middleware::apply(router),
                parts,
            });
        }
        let routes = generate_route_list(App);
        let router = Router::new()
            .route("/health", get(health::health))
            .route("/ready", get(ready_route))
            .route("/levels/export.csv", get(levels_csv::export))
            .route(
                "/kite/connect",
                get({
                    let account = kite_account.clone();
                    move |user| kite::connect(account.clone(), user)
                }),
            )
            .route(
                "/kite/callback",
                get({
                    let account = kite_account.clone();
                    move |query| kite::callback(account.clone(), query)
                }),
            )
            .route(
                "/kite/postback",
                post({
                    let account = kite_account.clone();
                    move |body| kite::postback(account.clone(), body)
                }),
            )
            // Registered server functions are more specific and win over this.
            .route("/api/{*rest}", any(api_fallback::api_not_found))
            .route(
                app::live::PRICES_WS_PATH,
                get(move |ws: WebSocketUpgrade| async move { stream.clone().upgrade(ws) }),
            )
            .leptos_routes(&state, routes, {
                let options = leptos_options.clone();
                move || shell(options.clone())
            })
            .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
            .with_state(state)
            // Every request, whatever it is for, passes the guard (inside the session layer
            // that finds its session); the security headers go on every answer.
            .layer(axum::middleware::from_fn_with_state(
                Arc::new(auth::Guard::new(accounts, clock_for_guard, settings)),
                auth::guard::guard,
            ))
            .layer(sessions.layer(settings.server.https, settings.auth.idle_timeout))
            .layer(axum::middleware::from_fn({
                let tls = settings.server.https;
                move |request, next| auth::headers::security_headers(tls, request, next)
            }));

        Ok(Application {
            listener,
            router: middleware::apply(router),
            parts,
        })
    }

    /// Where `/metrics` is served, if it is.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.parts
            .metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The in-process simulator, when the market runs on it (tests drive it).
    pub fn demo(&self) -> Option<&demo::DemoMarket> {
        self.parts.demo.as_ref()
    }

    /// The Kite client, ticker and prices (tests and diagnostics).
    pub fn market(&self) -> &KiteMarket {
        &self.parts.market
    }

    /// What the live feed follows, by owner (tests read it).
    pub fn subscriptions(&self) -> &Arc<FeedSubscriptions> {
        &self.parts.subscriptions
    }

    /// The bus to the other processes, when they share one.
    pub fn bus(&self) -> Option<&Arc<RedisBus>> {
        self.parts.bus.as_ref()
    }

    /// Cancel it to stop the server gracefully.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.parts.shutdown.clone()
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Application {
            listener,
            router,
            parts:
                Running {
                    database,
                    shutdown,
                    market,
                    demo,
                    subscriptions,
                    instruments_task,
                    workers,
                    metrics_listener,
                    sessions_task,
                    bus_tasks,
                    bus,
                },
        } = self;
        let metrics_task = metrics_listener.map(|listener| {
            tokio::spawn(metrics::serve(listener, database.clone(), shutdown.clone()))
        });
        // The peer address rides on each request: the sign-in limit is per address.
        let serve = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown.clone().cancelled_owned());
        let drain_deadline = async {
            shutdown.cancelled().await;
            tokio::time::sleep(DRAIN_TIMEOUT).await;
        };
        tokio::select! {
            result = serve => result.context("serving HTTP")?,
            _ = drain_deadline => tracing::warn!("requests still open after the drain timeout; stopping anyway"),
        }
        // Stops the demo market, the simulator and the ticker client too.
        shutdown.cancel();
        // Price subscribers still waiting (websocket clients, later the monitors) end now.
        market.bus.close();
        let _ = instruments_task.await;
        for worker in workers {
            let _ = worker.await;
        }
        for task in bus_tasks {
            let _ = task.await;
        }
        drop(bus);
        if let Some(task) = metrics_task {
            let _ = task.await;
        }
        sessions_task.abort();
        drop(subscriptions);
        drop(market);
        drop(demo);
        database.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Waits (at most `timeout`) until every one of `tokens` has a price, so the first page shows
/// them; a market that is closed may not send some, which is not an error.
async fn wait_for_prices(prices: &PriceService, tokens: &[InstrumentToken], timeout: Duration) {
    let deadline = tokio::time::Instant::now() + timeout;
    while prices.latest(tokens).len() < tokens.len() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => anyhow::anyhow!(
            "cannot listen on {addr}: the address is already in use (is another osp running?); \
             choose another with --addr or OSP__SERVER__ADDR"
        ),
        std::io::ErrorKind::PermissionDenied => anyhow::anyhow!(
            "cannot listen on {addr}: permission denied (ports below 1024 need privileges); \
             choose another with --addr or OSP__SERVER__ADDR"
        ),
        _ => anyhow::Error::new(e).context(format!("cannot listen on {addr}")),
    })
}
