//! Demo mode: the Kite simulator runs in-process on a loopback port, and the app's real Kite
//! client (REST for the instruments dump and history, the sharded ticker for prices) connects
//! to it — so the demo exercises exactly the code that live trading uses, and needs nothing
//! configured. The simulator's market is the core's seeded random walk.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use osp_core::ports::{Clock, TickBus};
use osp_core::services::prices::PriceService;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

use crate::bus::InProcessBus;
use crate::config::DemoSettings;
use crate::integrations::kite::common::urls::KiteEndpoints;
use crate::integrations::kite::feed::KiteFeed;
use crate::integrations::kite::history::KiteHistory;
use crate::integrations::kite::http::{KiteClient, KiteClientConfig};
use crate::integrations::kite::sim::{KiteSim, SimConfig, SimControl};
use crate::integrations::kite::ticker::{TickerConfig, TickerPool};
use crate::live_prices::LivePrices;

/// The market data side of the app, wired to a Kite (here, the simulator).
pub struct DemoMarket {
    /// Latest ticks and candles; publishes every tick on `bus`.
    pub prices: Arc<PriceService>,
    pub bus: Arc<InProcessBus>,
    /// The ticker's sink: ticks into `prices`, order updates as domain events.
    pub live: Arc<LivePrices>,
    /// What the subscription manager drives: subscribe/unsubscribe on the ticker pool.
    pub feed: Arc<KiteFeed>,
    pub pool: Arc<TickerPool>,
    /// A REST client logged in to the simulator, as a Kite login would give.
    pub client: Arc<KiteClient>,
    pub simulator_addr: SocketAddr,
    pub simulator: SimControl,
    /// The whole simulator: its broker, market and sessions (tests drive it directly).
    pub sim: KiteSim,
    pub access_token: SecretString,
    /// The simulator's app secret (the session checksum, postbacks); this process only.
    pub api_secret: SecretString,
}

/// The demo's Kite app credentials: they exist only inside this process and its loopback
/// simulator.
pub const DEMO_API_KEY: &str = "osp_demo";

/// Starts the simulator; its login page sends the browser back to `callback_url` (the app's
/// `/kite/callback`).
pub async fn start(
    settings: &DemoSettings,
    callback_url: String,
    clock: Arc<dyn Clock>,
    shutdown: CancellationToken,
) -> anyhow::Result<DemoMarket> {
    let api_secret: String = {
        use rand::Rng as _;
        let mut rng = rand::rng();
        (0..24)
            .map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.random_range(0..36)]))
            .collect()
    };
    let mut config = SimConfig::new(DEMO_API_KEY, api_secret.clone());
    config.redirect_url = Some(callback_url);
    // "Connect Kite" shows the simulator's login page, as Kite shows its own.
    config.auto_login = false;
    config.seed = settings.seed;
    config.tick_interval = Duration::from_millis(settings.tick_interval_ms);
    let running = KiteSim::start_on_loopback(config, clock.clone(), shutdown.clone()).await?;
    let access_token = SecretString::from(running.sim.state.auth.issue_access_token());
    let endpoints = KiteEndpoints::simulator(&running.base_url());

    let mut client_config = KiteClientConfig::new(endpoints.clone(), DEMO_API_KEY);
    client_config.api_secret = Some(SecretString::from(api_secret.clone()));
    let client = Arc::new(KiteClient::new(client_config)?);
    client.set_access_token(access_token.clone());

    let bus = Arc::new(InProcessBus::new());
    let prices = Arc::new(PriceService::new(
        bus.clone() as Arc<dyn TickBus>,
        Arc::new(KiteHistory::new(client.clone())),
    ));
    let live = LivePrices::new(prices.clone(), clock);
    // The ticker follows the client's login: a new Kite login reconnects it with the new token.
    let mut ticker_config = TickerConfig::following(endpoints.ticker_url, client.login_watch());
    ticker_config.stall_timeout = Duration::from_secs(5);
    ticker_config.reconnect_ceiling = Duration::from_secs(5);
    let pool = Arc::new(TickerPool::new(
        ticker_config,
        live.clone(),
        shutdown.clone(),
    ));
    let feed = Arc::new(KiteFeed::spawn(pool.clone(), shutdown));

    let simulator_addr = running.addr;
    tracing::info!(%simulator_addr, "demo mode: market data from the in-process Kite simulator");
    Ok(DemoMarket {
        prices,
        bus,
        live,
        feed,
        pool,
        client,
        simulator_addr,
        simulator: running.sim.state.control.clone(),
        sim: running.sim,
        access_token,
        api_secret: SecretString::from(api_secret),
    })
}
