//! Demo mode: the Kite simulator runs in-process on a loopback port, and the app's real ticker
//! client connects to it — so the demo exercises exactly the code that live trading uses, and
//! needs nothing configured. The simulator's market is the core's seeded random walk.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use osp_core::ports::Clock;
use osp_core::services::prices::demo_instruments;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

use crate::config::DemoSettings;
use crate::integrations::kite::common::urls::KiteEndpoints;
use crate::integrations::kite::sim::{KiteSim, SimConfig, SimControl};
use crate::integrations::kite::ticker::{self, TickerConfig, TickerHandle, TickerMode};
use crate::live_prices::LivePrices;

/// How long start-up waits for the first simulated prices.
const FIRST_PRICES_TIMEOUT: Duration = Duration::from_secs(10);

pub struct DemoMarket {
    pub prices: Arc<LivePrices>,
    pub simulator_addr: SocketAddr,
    pub simulator: SimControl,
    /// The whole simulator: its broker, market and sessions (tests drive it directly).
    pub sim: KiteSim,
    /// A session on the simulator for this process, as a Kite login would give.
    pub access_token: SecretString,
    pub ticker: TickerHandle,
}

/// The demo's Kite app credentials: they exist only inside this process and its loopback
/// simulator.
pub const DEMO_API_KEY: &str = "osp_demo";

pub async fn start(
    settings: &DemoSettings,
    clock: Arc<dyn Clock>,
    shutdown: CancellationToken,
) -> anyhow::Result<DemoMarket> {
    let mut config = SimConfig::new(
        DEMO_API_KEY,
        format!(
            "demo-secret-{:x}",
            clock.now_ms() ^ i64::from(std::process::id())
        ),
    );
    config.seed = settings.seed;
    config.tick_interval = Duration::from_millis(settings.tick_interval_ms);
    let running = KiteSim::start_on_loopback(config, clock.clone(), shutdown.clone()).await?;
    let access_token = SecretString::from(running.sim.state.auth.issue_access_token());

    let instruments = demo_instruments();
    let prices = LivePrices::new(
        instruments
            .iter()
            .map(|i| (i.token, i.tradingsymbol.to_owned(), i.exchange)),
        clock,
    );
    let endpoints = KiteEndpoints::simulator(&running.base_url());
    let mut ticker_config =
        TickerConfig::new(endpoints.ticker_url, DEMO_API_KEY, access_token.clone());
    ticker_config.stall_timeout = Duration::from_secs(5);
    ticker_config.reconnect_ceiling = Duration::from_secs(5);
    let ticker = ticker::spawn(ticker_config, prices.clone(), shutdown);
    ticker
        .subscribe(
            instruments.iter().map(|i| i.token.0).collect(),
            TickerMode::Full,
        )
        .await;
    if !prices.wait_for_first_update(FIRST_PRICES_TIMEOUT).await {
        anyhow::bail!(
            "the demo market did not stream within {} s (ticker: {:?})",
            FIRST_PRICES_TIMEOUT.as_secs(),
            *ticker.state().borrow()
        );
    }
    let simulator_addr = running.addr;
    tracing::info!(%simulator_addr, "demo mode: streaming from the in-process Kite simulator");
    Ok(DemoMarket {
        prices,
        simulator_addr,
        simulator: running.sim.state.control.clone(),
        sim: running.sim,
        access_token,
        ticker,
    })
}
