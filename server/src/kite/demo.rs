//! Demo mode: the Kite simulator runs in-process on a loopback port, and the app's real Kite
//! client (REST for the instruments dump and history, the sharded ticker for prices) connects
//! to it — so the demo exercises exactly the code that live trading uses, and needs nothing
//! configured. The simulator's market is the core's seeded random walk.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use osp_core::ports::Clock;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

use crate::config::DemoSettings;
use crate::kite::market::{self, KiteMarket, TickerTiming};
use kite_connect::common::urls::KiteEndpoints;
use kite_sim::{KiteSim, SimConfig, SimControl};

/// The simulator the demo's market runs on.
pub struct DemoMarket {
    pub simulator_addr: SocketAddr,
    pub simulator: SimControl,
    /// The whole simulator: its broker, market and sessions (tests drive it directly).
    pub sim: KiteSim,
    /// The session the app's client started with (the simulator's login for this process).
    pub access_token: SecretString,
    /// The simulator's app secret (the session checksum, postbacks); this process only.
    pub api_secret: SecretString,
}

/// The demo's Kite app credentials: they exist only inside this process and its loopback
/// simulator.
pub const DEMO_API_KEY: &str = "osp_demo";

/// Starts the simulator and the market wired to it, logged in; its login page sends the
/// browser back to `callback_url` (the app's `/kite/callback`).
pub async fn start(
    settings: &DemoSettings,
    callback_url: String,
    clock: Arc<dyn Clock>,
    shutdown: CancellationToken,
) -> anyhow::Result<(KiteMarket, DemoMarket)> {
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
    let market = market::connect(
        KiteEndpoints::simulator(&running.base_url()),
        DEMO_API_KEY,
        Some(SecretString::from(api_secret.clone())),
        TickerTiming::LOOPBACK,
        clock,
        shutdown,
    )?;
    market.client.set_access_token(access_token.clone());

    let simulator_addr = running.addr;
    tracing::info!(%simulator_addr, "demo mode: market data from the in-process Kite simulator");
    Ok((
        market,
        DemoMarket {
            simulator_addr,
            simulator: running.sim.state.control.clone(),
            sim: running.sim,
            access_token,
            api_secret: SecretString::from(api_secret),
        },
    ))
}
