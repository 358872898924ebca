//! The composition root: builds the adapters (database, demo feed, clock), wires them into the
//! core's services, hands those to Leptos as `AppState`, and serves HTTP until told to stop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use app::state::AppState;
use app::{App, shell};
use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::routing::{any, get};
use leptos_axum::{LeptosRoutes, generate_route_list};
use osp_core::ports::{Clock, DatabaseProbe, MarketData};
use osp_core::services::status::StatusService;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::clock::SystemClock;
use crate::config::Settings;
use crate::database::Database;
use crate::demo;
use crate::http::{api_fallback, health, middleware};
use crate::site;
use crate::websocket::prices;

/// How long in-flight requests get to finish after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Application {
    listener: TcpListener,
    router: Router,
    database: Database,
    shutdown: CancellationToken,
    /// The in-process simulator and the ticker client reading it; held for the app's lifetime
    /// (dropping the ticker's handle would stop it).
    demo: demo::DemoMarket,
}

impl Application {
    /// Connects and migrates the database, binds the listen address, and builds the router.
    /// Nothing runs until `run_until_stopped`.
    pub async fn build(settings: &Settings) -> anyhow::Result<Application> {
        let database = Database::connect(&settings.database).await?;
        database.migrate().await?;
        tracing::info!(backend = database.backend_name(), "database ready");

        let listener = bind(settings.server.addr).await?;
        let addr = listener.local_addr().context("reading the bound address")?;

        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let shutdown = CancellationToken::new();
        // Demo is the only mode this build accepts (config refuses paper and live).
        let demo = demo::start(&settings.demo, clock.clone(), shutdown.clone()).await?;
        let prices = demo.prices.clone();
        let status = StatusService::new(
            env!("CARGO_PKG_VERSION"),
            settings.mode,
            Arc::new(database.clone()) as Arc<dyn DatabaseProbe>,
            prices.clone() as Arc<dyn MarketData>,
            clock,
            // Stale after missing several ticks in a row, never under five seconds.
            (settings.demo.tick_interval_ms as i64 * 10).max(5_000),
        );

        let site_root = site::resolve_site_root(settings.server.site_root.as_deref());
        if !site_root.join("pkg").is_dir() {
            tracing::warn!(
                site_root = %site_root.display(),
                "no built site here (pkg/ missing): pages render but will not hydrate; \
                 build with `cargo leptos build --release` or set OSP__SERVER__SITE_ROOT"
            );
        }
        let leptos_options = site::leptos_options(&site_root, addr);
        let state = AppState {
            leptos_options: leptos_options.clone(),
            status: Arc::new(status),
            market: prices.clone(),
        };

        let ws_updates = prices.subscribe();
        let ws_shutdown = shutdown.clone();
        let ws_interval = settings.stream.min_interval();
        let routes = generate_route_list(App);
        let router = Router::new()
            .route("/health", get(health::health))
            // Registered server functions are more specific and win over this.
            .route("/api/{*rest}", any(api_fallback::api_not_found))
            .route(
                app::live::PRICES_WS_PATH,
                get(move |ws: WebSocketUpgrade| {
                    prices::upgrade(ws, ws_updates.clone(), ws_interval, ws_shutdown.clone())
                }),
            )
            .leptos_routes(&state, routes, {
                let options = leptos_options.clone();
                move || shell(options.clone())
            })
            .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
            .with_state(state);

        Ok(Application {
            listener,
            router: middleware::apply(router),
            database,
            shutdown,
            demo,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The demo market (simulator control, ticker state), for tests and diagnostics.
    pub fn demo(&self) -> &demo::DemoMarket {
        &self.demo
    }

    /// Cancel it to stop the server gracefully.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Application {
            listener,
            router,
            database,
            shutdown,
            demo,
        } = self;
        let serve = axum::serve(listener, router)
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
        drop(demo);
        database.close().await;
        tracing::info!("stopped");
        Ok(())
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
