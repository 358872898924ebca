//! The second builder: the market — the in-process simulator (demo mode) or Kite, the broker
//! session and the Kite connection, the market calendar, the instruments and their loader, the
//! subscription manager with its feed, the bus's tick relays, and the watchlists.

use std::sync::Arc;
use std::time::Duration;

use osp_core::model::{FeedMode, InstrumentToken, TradingMode};
use osp_core::ports::{MarketData, TickBus, WatchlistStore};
use osp_core::services::announcer::Announcer;
use osp_core::services::instruments::InstrumentCatalog;
use osp_core::services::market_calendar::MarketCalendar;
use osp_core::services::prices::{FeedSubscriptions, PriceService, demo_instruments};
use osp_core::services::trading::BrokerSession;
use osp_core::services::watchlists::WatchlistService;
use tokio::task::JoinHandle;

use super::infra::Infra;
use crate::config::{KiteEndpoint, Settings};
use crate::kite::connection::{KiteAccount, KiteAccountParts};
use crate::kite::demo;
use crate::kite::instruments_loader::InstrumentsLoader;
use crate::kite::market::{self, KiteMarket, TickerTiming};
use kite_connect::gated_feed::GatedFeed;

/// The feed owner that keeps the indices subscribed.
const PULSE_OWNER: &str = "market-pulse";
/// The feed owner that keeps the starter watchlist's instruments subscribed.
const STARTER_OWNER: &str = "starter-watchlist";
/// NIFTY 50 and NIFTY BANK (Kite's tokens).
const PULSE_TOKENS: [u32; 2] = [256_265, 260_105];
/// How long start-up waits for the first prices.
const FIRST_PRICES_TIMEOUT: Duration = Duration::from_secs(10);

pub(super) struct Market {
    /// The Kite client, ticker and prices; held for the app's lifetime (dropping the ticker's
    /// handle would stop it).
    pub market: KiteMarket,
    /// The in-process simulator the market runs on, in demo mode (and a paper rehearsal).
    pub demo: Option<demo::DemoMarket>,
    /// Whether the Kite session stands: nothing is sent and no level triggers once it ended.
    pub session: Arc<BrokerSession>,
    pub kite_account: Arc<KiteAccount>,
    pub calendar: Arc<MarketCalendar>,
    pub catalog: Arc<InstrumentCatalog>,
    /// The daily instruments reload; stops with `shutdown`.
    pub instruments_task: JoinHandle<()>,
    pub subscriptions: Arc<FeedSubscriptions>,
    /// Workers sharing a bus: Kite's ticker subscribed only while a lease is held here.
    pub ticker_gate: Option<Arc<GatedFeed>>,
    /// The bus's tick relays (none in one process alone); they stop with `shutdown`.
    pub bus_tasks: Vec<JoinHandle<()>>,
    pub watchlists: Arc<WatchlistService>,
}

impl Market {
    pub async fn build(settings: &Settings, infra: &Infra) -> anyhow::Result<Market> {
        let (clock, shutdown, topology) = (&infra.clock, &infra.shutdown, &infra.topology);
        // The market data: the in-process simulator through the real Kite protocol (demo
        // mode, already logged in), or Kite itself (paper and live mode), whose session comes
        // from the last login if it is still today's, else from Connect Kite.
        let (market, demo) = match &settings.kite.endpoint {
            KiteEndpoint::Simulator => {
                let (market, demo) = demo::start(
                    &settings.demo,
                    infra.callback_url(),
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
        let session = Arc::new(BrokerSession::new(clock.clone()));
        let kite_account = Arc::new(KiteAccount::new(KiteAccountParts {
            session: session.clone(),
            database: infra.database.clone(),
            secrets: infra.secrets.clone(),
            client: market.client.clone(),
            api_secret: demo.as_ref().map(|d| d.api_secret.clone()),
            simulated: demo.is_some(),
            clock: clock.clone(),
            order_updates: market.live.order_sender(),
            changes: topology.announce(),
        }));
        if demo.is_some() {
            // The demo's session starts with the simulator's login made above.
            session.started(clock.now_ms());
        } else {
            kite_account
                .resume(configured_kite_app(settings))
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
            infra.database.clone(),
            market.client.clone(),
            catalog.clone(),
            clock.clone(),
        ));
        let instruments_task = if topology.runs_workers() {
            loader
                .start(shutdown.clone(), Announcer::maybe(topology.announce()))
                .await
        } else {
            loader.follow_stored(shutdown.clone(), topology.changes())
        };

        // A web process apart from the workers has no ticker: what its pages follow goes to
        // the workers' ticker over the bus, and the ticks come back the same way.
        // Workers sharing a bus connect Kite's ticker only where a lease is held.
        let ticker_gate = topology.ticker_gate(&market.feed);
        let subscriptions = Arc::new(FeedSubscriptions::new(topology.feed(
            &market.feed,
            ticker_gate.as_ref(),
            shutdown,
        )));
        let mut bus_tasks = Vec::new();
        if let Some(bus) = &topology.bus {
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
            if topology.runs_workers() {
                bus_tasks.push(bus.relay_ticks(
                    market.bus.clone() as Arc<dyn TickBus>,
                    connected,
                    shutdown.clone(),
                ));
                bus_tasks.push(bus.follow_interests(subscriptions.clone(), shutdown.clone()));
                // Postbacks a web process took, for this process's trading engine.
                bus_tasks
                    .push(bus.spawn_order_source(market.live.order_sender(), shutdown.clone()));
            } else {
                // A web process apart: its order updates are Kite's postbacks (it has no
                // ticker); the engine that applies them runs in the workers.
                bus_tasks.push(bus.relay_orders(market.live.order_events(), shutdown.clone()));
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
            Arc::new(infra.database.clone()) as Arc<dyn WatchlistStore>,
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
        Ok(Market {
            market,
            demo,
            session,
            kite_account,
            calendar,
            catalog,
            instruments_task,
            subscriptions,
            ticker_gate,
            bus_tasks,
            watchlists,
        })
    }
}

/// The Kite app in the configuration (`kite.api_key` and `kite.api_secret`), used while none
/// is saved on Settings.
pub(super) fn configured_kite_app(settings: &Settings) -> Option<(String, secrecy::SecretString)> {
    settings
        .kite
        .api_key
        .clone()
        .zip(settings.kite.api_secret.clone())
}

/// Waits (at most `timeout`) until every one of `tokens` has a price, so the first page shows
/// them; a market that is closed may not send some, which is not an error.
async fn wait_for_prices(prices: &PriceService, tokens: &[InstrumentToken], timeout: Duration) {
    let deadline = tokio::time::Instant::now() + timeout;
    while prices.latest(tokens).len() < tokens.len() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
