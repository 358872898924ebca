//! The composition root, in parts. Each builder makes a small struct from the ones before it:
//!
//! 1. `infra` — the database, the listen address, the clock, the shutdown token, the bus and
//!    the secrets; with them the `Topology` (`topology.rs`): this process's role and bus,
//!    resolved once into the answers the other builders would otherwise branch on.
//! 2. `market_data` — the simulator (demo mode) or Kite, the broker session and Kite
//!    connection, the calendar, instruments, the subscription manager and its feed, watchlists.
//! 3. `trading` — the venue, the risk gate, the trading lease, the executor (gate and session
//!    are its constructor arguments), levels, trades, risk.
//! 4. `alerts` — price alerts, Kite's alerts (their ATO baskets through the same gate), the
//!    webhook.
//! 5. `accounts` — users and sessions.
//! 6. `workers` — the supervised workers and what a bus adds to them.
//! 7. `web` — `AppState` for the pages and server functions; `router` — the routes behind the
//!    sessions, the guard and the security headers.
//!
//! `Application` then serves HTTP (and `/metrics` on its own listener) until told to stop.

mod accounts;
mod alerts;
mod built;
mod infra;
mod market_data;
mod router;
mod topology;
mod trading;
mod web;
mod workers;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use osp_core::ports::{FeedStats, WorkerControl};
use osp_core::services::prices::FeedSubscriptions;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use topology::Role;

use built::Built;

use crate::bus::RedisBus;
use crate::config::Settings;
use crate::database::Database;
use crate::kite::demo;
use crate::kite::market::{self, KiteMarket};
use crate::metrics;

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

impl Application {
    /// Connects and migrates the database, binds the listen address, and builds the router.
    /// Nothing runs until `run_until_stopped`.
    pub async fn build(settings: &Settings) -> anyhow::Result<Application> {
        Self::build_as(settings, Role::All).await
    }

    /// `build`, for one part of the app (`osp serve --no-workers`, `osp workers`).
    pub async fn build_as(settings: &Settings, role: Role) -> anyhow::Result<Application> {
        let infra = infra::Infra::build(settings, role).await?;
        let market = market_data::Market::build(settings, &infra).await?;
        let mut trading = trading::Trading::build(settings, &infra, &market).await?;
        let alerts = alerts::Alerts::build(&infra, &market, &trading, settings).await?;
        let accounts = accounts::Accounts::build(settings, &infra).await?;
        let local_feed = Arc::new(market::FeedFiguresSource {
            pool: market.market.pool.clone(),
            prices: market.market.prices.clone(),
            clock: infra.clock.clone(),
        }) as Arc<dyn FeedStats>;
        let order_events = trading
            .order_events
            .take()
            .context("the venue's order updates were already taken")?;
        let built = Built {
            settings,
            infra: &infra,
            market: &market,
            trading: &trading,
            alerts: &alerts,
            local_feed,
        };
        let workers = workers::Workers::start(&built, order_events).await;
        // A web process apart refuses an order while it hears no workers process to send it.
        // Just started, it has heard none yet: it listens for one status before it serves, so
        // an order placed the moment it is back is not refused with the workers right there.
        if let Some(bus) = infra.topology.web_apart()
            && !bus
                .wait_for_workers(
                    crate::bus::redis::STATUS_EVERY + std::time::Duration::from_secs(1),
                )
                .await
        {
            tracing::warn!(
                "no workers process heard on the bus yet: orders placed here are refused until \
                 `osp workers` runs with this installation's settings"
            );
        }
        let local_workers = workers.manager.clone() as Arc<dyn WorkerControl>;
        let web = web::Web::build(&built, &accounts, local_workers.clone());
        let router = router::build(
            settings,
            &infra,
            &market,
            &accounts,
            local_workers,
            web.state,
            web.activity_push,
        );
        let metrics_listener = match settings.metrics.addr {
            Some(addr) => metrics::bind(addr).await,
            None => None,
        };
        let mut handles = workers.handles;
        handles.push(web.activity_task);
        let mut bus_tasks = market.bus_tasks;
        bus_tasks.extend(workers.bus_tasks);
        Ok(Application {
            listener: infra.listener,
            router,
            parts: Running {
                database: infra.database,
                shutdown: infra.shutdown,
                market: market.market,
                demo: market.demo,
                subscriptions: market.subscriptions,
                instruments_task: market.instruments_task,
                workers: handles,
                metrics_listener,
                sessions_task: accounts.sessions_task,
                bus_tasks,
                bus: infra.topology.bus,
            },
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
