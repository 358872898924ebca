//! The market side of the app, wired to one Kite: its REST client (instruments, history,
//! orders in demo and live mode), the sharded ticker following the client's login, the price
//! service fed by it and the in-process bus it publishes on. The same code runs against the
//! in-process simulator (demo mode, `demo.rs`) and against Zerodha (paper and live mode) —
//! only the endpoints and the Kite app differ.

use std::sync::Arc;
use std::time::Duration;

use osp_core::ports::{Clock, TickBus};
use osp_core::services::prices::PriceService;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

use crate::bus::InProcessBus;
use crate::kite::live_prices::LivePrices;
use kite_connect::common::urls::KiteEndpoints;
use kite_connect::feed::KiteFeed;
use kite_connect::history::KiteHistory;
use kite_connect::http::{KiteClient, KiteClientConfig};
use kite_connect::ticker::{TickerConfig, TickerPool};

pub struct KiteMarket {
    /// Latest ticks and candles; publishes every tick on `bus`.
    pub prices: Arc<PriceService>,
    pub bus: Arc<InProcessBus>,
    /// The ticker's sink: ticks into `prices`, order updates as domain events.
    pub live: Arc<LivePrices>,
    /// What the subscription manager drives: subscribe/unsubscribe on the ticker pool.
    pub feed: Arc<KiteFeed>,
    pub pool: Arc<TickerPool>,
    /// The REST client; its login is the one the ticker follows.
    pub client: Arc<KiteClient>,
}

/// How quickly the ticker gives up on a silent feed and retries.
#[derive(Clone, Copy, Debug)]
pub struct TickerTiming {
    pub stall_timeout: Duration,
    pub reconnect_ceiling: Duration,
}

impl TickerTiming {
    /// The simulator on loopback: a silent feed is a fault at once.
    pub const LOOPBACK: TickerTiming = TickerTiming {
        stall_timeout: Duration::from_secs(5),
        reconnect_ceiling: Duration::from_secs(5),
    };
    /// Kite over the internet: Kite sends a heartbeat every second; allow for a slow network
    /// and back off further (Kite limits connection attempts).
    pub const INTERNET: TickerTiming = TickerTiming {
        stall_timeout: Duration::from_secs(10),
        reconnect_ceiling: Duration::from_secs(30),
    };
}

/// Builds the client for `endpoints` with the Kite app `api_key` (`api_secret` to exchange
/// logins), and the ticker that connects as soon as the client has a session.
pub fn connect(
    endpoints: KiteEndpoints,
    api_key: &str,
    api_secret: Option<SecretString>,
    timing: TickerTiming,
    clock: Arc<dyn Clock>,
    shutdown: CancellationToken,
) -> anyhow::Result<KiteMarket> {
    let mut client_config = KiteClientConfig::new(endpoints.clone(), api_key);
    client_config.api_secret = api_secret;
    let client = Arc::new(KiteClient::new(client_config)?);
    let bus = Arc::new(InProcessBus::new());
    let prices = Arc::new(PriceService::new(
        bus.clone() as Arc<dyn TickBus>,
        Arc::new(KiteHistory::new(client.clone())),
    ));
    let live = LivePrices::new(prices.clone(), clock);
    // The ticker follows the client's login: a new Kite login reconnects it with the new
    // token, and without one it waits.
    let mut ticker_config = TickerConfig::following(endpoints.ticker_url, client.login_watch());
    ticker_config.stall_timeout = timing.stall_timeout;
    ticker_config.reconnect_ceiling = timing.reconnect_ceiling;
    let pool = Arc::new(TickerPool::new(
        ticker_config,
        live.clone(),
        shutdown.clone(),
    ));
    let feed = Arc::new(KiteFeed::spawn(pool.clone(), shutdown));
    Ok(KiteMarket {
        prices,
        bus,
        live,
        feed,
        pool,
        client,
    })
}

/// The feed's figures from the ticker pool and the price service (`FeedStats`).
pub struct FeedFiguresSource {
    pub pool: Arc<TickerPool>,
    pub prices: Arc<PriceService>,
    pub clock: Arc<dyn Clock>,
}

fn state_text(state: &kite_connect::ticker::TickerState) -> String {
    use kite_connect::ticker::TickerState;
    match state {
        TickerState::Connecting => "connecting".into(),
        TickerState::WaitingForLogin => "waiting for a Kite login".into(),
        TickerState::Connected => "connected".into(),
        TickerState::Reconnecting { attempt, reason } => {
            format!("reconnecting (attempt {attempt}: {reason})")
        }
        TickerState::Unauthorized => "refused by Kite: Connect Kite again".into(),
        TickerState::Failed { reason } => format!("failed: {reason}"),
        TickerState::Stopped => "stopped".into(),
    }
}

#[async_trait::async_trait]
impl osp_core::ports::FeedStats for FeedFiguresSource {
    async fn figures(&self) -> osp_core::model::FeedFigures {
        osp_core::model::FeedFigures {
            connections: self.pool.states().await.iter().map(state_text).collect(),
            subscribed: self.pool.subscribed().await,
            capacity: self.pool.capacity(),
            packets: self.pool.packets().await,
            last_tick_ms: osp_core::ports::MarketData::last_update_ms(self.prices.as_ref()),
            at_ms: self.clock.now_ms(),
        }
    }
}
