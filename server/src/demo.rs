//! Demo mode: the Kite simulator runs in-process on a loopback port, and the app's real ticker
//! client connects to it — so the demo exercises exactly the code that live trading uses, and
//! needs nothing configured. The simulator's market is the core's seeded random walk.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use osp_core::ports::Clock;
use osp_core::services::prices::demo_instruments;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

use crate::config::DemoSettings;
use crate::integrations::kite::sim::SimMarket;
use crate::integrations::kite::sim::{SimControl, SimTicker, TICKER_PATH};
use crate::integrations::kite::ticker::{self, TickerConfig, TickerHandle, TickerMode};
use crate::live_prices::LivePrices;

/// How long start-up waits for the first simulated prices.
const FIRST_PRICES_TIMEOUT: Duration = Duration::from_secs(10);

pub struct DemoMarket {
    pub prices: Arc<LivePrices>,
    pub simulator_addr: SocketAddr,
    pub simulator: SimControl,
    pub ticker: TickerHandle,
}

pub async fn start(
    settings: &DemoSettings,
    clock: Arc<dyn Clock>,
    shutdown: CancellationToken,
) -> anyhow::Result<DemoMarket> {
    let feed = SimMarket::new(settings.seed, clock.clone());
    tokio::spawn(feed.clone().run_until_stopped(
        Duration::from_millis(settings.tick_interval_ms),
        shutdown.clone(),
    ));

    // Credentials for this process only; the simulator listens on loopback.
    let access_token = format!("demo-{:x}", clock.now_ms() ^ i64::from(std::process::id()));
    let control = SimControl::default();
    let router = SimTicker {
        api_key: "osp_demo".into(),
        access_token: access_token.clone(),
        market: feed.subscribe(),
        control: control.clone(),
    }
    .router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("starting the in-process Kite simulator on loopback")?;
    let simulator_addr = listener
        .local_addr()
        .context("reading the simulator's address")?;
    let sim_shutdown = shutdown.clone();
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router)
            .with_graceful_shutdown(sim_shutdown.cancelled_owned())
            .await
        {
            tracing::error!(error = %e, "the in-process Kite simulator stopped");
        }
    });

    let instruments = demo_instruments();
    let prices = LivePrices::new(
        instruments
            .iter()
            .map(|i| (i.token, i.tradingsymbol.to_owned(), i.exchange)),
        clock,
    );
    let mut config = TickerConfig::new(
        format!("ws://{simulator_addr}{TICKER_PATH}"),
        "osp_demo",
        SecretString::from(access_token),
    );
    config.stall_timeout = Duration::from_secs(5);
    config.reconnect_ceiling = Duration::from_secs(5);
    let ticker = ticker::spawn(config, prices.clone(), shutdown);
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
    tracing::info!(%simulator_addr, "demo mode: streaming from the in-process Kite simulator");
    Ok(DemoMarket {
        prices,
        simulator_addr,
        simulator: control,
        ticker,
    })
}
