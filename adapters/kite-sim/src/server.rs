//! The whole simulator on one listener: REST at Kite's API paths, the login page at
//! `/connect/login`, the ticker websocket at `/ws`. `KiteSim::start` runs it on a loopback port
//! (demo mode and tests); `osp kite-sim` serves it on a chosen address.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use osp_core::model::{InstrumentToken, MarketSnapshot, Price};
use osp_core::ports::Clock;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

use super::auth::SimAuth;
use super::broker::{BrokerConfig, SimBroker};
use super::clock_text::kite_time;
use super::control::SimControl;
use super::market::SimMarket;
use super::rest::{self, SimLimits};
use super::ticker::SimTicker;
use super::triggers::Triggers;
use super::universe::Universe;

#[derive(Clone, Debug)]
pub struct SimConfig {
    pub api_key: String,
    pub api_secret: SecretString,
    /// Where the login page sends the user back; without one it shows the request token.
    pub redirect_url: Option<String>,
    pub auto_login: bool,
    pub seed: u64,
    pub tick_interval: Duration,
    pub broker: BrokerConfig,
}

impl SimConfig {
    pub fn new(api_key: impl Into<String>, api_secret: impl Into<String>) -> Self {
        Self {
            api_key: api_key.into(),
            api_secret: SecretString::from(api_secret.into()),
            redirect_url: None,
            auto_login: true,
            seed: 42,
            tick_interval: Duration::from_millis(250),
            broker: BrokerConfig::default(),
        }
    }
}

pub(super) struct LoginConfig {
    /// Settable while running, as a Kite app's redirect URL is edited on Kite's console.
    pub redirect_url: std::sync::RwLock<Option<String>>,
    pub auto_login: bool,
}

/// Everything the simulator's handlers share.
pub struct SimState {
    pub auth: Arc<SimAuth>,
    pub broker: Arc<SimBroker>,
    pub market: Arc<SimMarket>,
    pub universe: Arc<Universe>,
    pub triggers: Arc<Triggers>,
    pub control: SimControl,
    pub seed: u64,
    pub(super) login: LoginConfig,
    pub(super) limits: SimLimits,
    clock: Arc<dyn Clock>,
}

impl SimState {
    /// Where the login page sends the browser back from now on (Kite: the app's redirect URL
    /// on the developer console).
    pub fn set_redirect_url(&self, url: Option<String>) {
        *self
            .login
            .redirect_url
            .write()
            .unwrap_or_else(|p| p.into_inner()) = url;
    }

    pub fn now_text(&self) -> String {
        kite_time(self.clock.now_ms())
    }

    /// Runs resting orders, GTTs and alerts against a market state.
    pub fn match_market(&self, market: &MarketSnapshot) {
        self.broker.on_market(market);
        let universe = &self.universe;
        self.triggers.on_market(
            market,
            &self.broker,
            |exchange, symbol| universe.by_symbol(exchange, symbol).map(|i| i.token.0),
            &self.now_text(),
        );
    }
}

#[derive(Clone)]
pub struct KiteSim {
    pub state: Arc<SimState>,
    tick_interval: Duration,
}

/// A simulator serving on a loopback port.
pub struct RunningSim {
    pub sim: KiteSim,
    pub addr: SocketAddr,
}

impl RunningSim {
    /// `http://127.0.0.1:PORT`, the API root and login root.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl KiteSim {
    pub fn new(config: SimConfig, clock: Arc<dyn Clock>) -> Self {
        let universe = Arc::new(Universe::generate(config.seed, clock.now_ms()));
        let market = SimMarket::new(config.seed, universe.market_instruments(), clock.clone());
        let state = SimState {
            auth: Arc::new(SimAuth::new(config.api_key, config.api_secret)),
            broker: Arc::new(SimBroker::new(
                universe.clone(),
                config.broker,
                clock.clone(),
            )),
            market,
            universe,
            triggers: Arc::new(Triggers::default()),
            control: SimControl::default(),
            seed: config.seed,
            login: LoginConfig {
                redirect_url: std::sync::RwLock::new(config.redirect_url),
                auto_login: config.auto_login,
            },
            limits: SimLimits::default(),
            clock,
        };
        Self {
            state: Arc::new(state),
            tick_interval: config.tick_interval,
        }
    }

    pub fn router(&self) -> Router {
        let ticker = SimTicker {
            auth: self.state.auth.clone(),
            market: self.state.market.subscribe(),
            order_updates: self.state.broker.clone(),
            control: self.state.control.clone(),
        };
        rest::router(self.state.clone()).merge(ticker.router())
    }

    /// Moves the market and runs the matching engine on each step, until shutdown.
    pub fn spawn_market(&self, shutdown: CancellationToken) {
        let market = self.state.market.clone();
        tokio::spawn(market.run_until_stopped(self.tick_interval, shutdown.clone()));
        let state = self.state.clone();
        let mut steps = self.state.market.subscribe();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    changed = steps.changed() => {
                        if changed.is_err() { break; }
                        let snapshot = steps.borrow_and_update().clone();
                        state.control.market_stepped();
                        state.match_market(&snapshot);
                    }
                }
            }
        });
    }

    /// The walk moves `token` again from where `set_last_price` held it.
    pub fn release_price(&self, token: u32) {
        self.state.market.release(InstrumentToken(token));
    }

    /// Trades an instrument at `price` now, holds it there (the walk leaves it until the next
    /// price put on it, or `release_price`) and matches orders against it before returning
    /// (tests move the market to a level with this, and see exactly this price).
    pub fn set_last_price(&self, token: u32, price: Price) -> bool {
        if !self
            .state
            .market
            .set_last_price(InstrumentToken(token), price)
        {
            return false;
        }
        self.state.match_market(&self.state.market.snapshot_now());
        true
    }

    /// The night passes for delivery: today's CNC buys move from the positions to the
    /// holdings (settling), yesterday's settle — as Kite shows them the next trading day.
    pub fn settle_delivery(&self) {
        self.state.broker.settle_delivery();
    }

    /// Serves on `listener` until shutdown.
    pub async fn serve(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: CancellationToken,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
    }

    /// Starts the market and serves on a fresh loopback port, in the background.
    pub async fn start_on_loopback(
        config: SimConfig,
        clock: Arc<dyn Clock>,
        shutdown: CancellationToken,
    ) -> anyhow::Result<RunningSim> {
        let sim = KiteSim::new(config, clock);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("starting the Kite simulator on loopback")?;
        let addr = listener
            .local_addr()
            .context("reading the simulator's address")?;
        sim.spawn_market(shutdown.clone());
        let serving = sim.clone();
        tokio::spawn(async move {
            if let Err(e) = serving.serve(listener, shutdown).await {
                tracing::error!(error = %e, "the Kite simulator stopped");
            }
        });
        Ok(RunningSim { sim, addr })
    }
}
