//! The ticker client against the simulator's ticker over loopback: subscriptions and modes,
//! heartbeats, a refused token, reconnect and resubscribe after a drop, stalled-feed detection,
//! and a malformed frame skipped without losing the connection.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kite_connect::common::enums::{OrderType, Product, TransactionType};
use kite_connect::common::urls::KiteEndpoints;
use kite_connect::http::models::{OrderParams, OrderUpdate};
use kite_connect::http::{KiteClient, KiteClientConfig};
use kite_connect::ticker::{
    ServerText, TickSink, TickerConfig, TickerHandle, TickerMode, TickerPacket, TickerPool,
    TickerState, spawn,
};
use kite_sim::{KiteSim, RunningSim, SimConfig, SimControl, TICKER_PATH};
use osp_server::clock::SystemClock;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

const NIFTY: u32 = 256_265;
const INFY: u32 = 408_065;
const RELIANCE: u32 = 738_561;

struct Sim {
    addr: SocketAddr,
    control: SimControl,
    /// A live session on the simulator.
    token: String,
    running: RunningSim,
    stop: CancellationToken,
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn start_sim() -> Sim {
    let stop = CancellationToken::new();
    let mut config = SimConfig::new("sim_key", "sim_secret");
    config.seed = 11;
    config.tick_interval = Duration::from_millis(50);
    let running = KiteSim::start_on_loopback(config, Arc::new(SystemClock), stop.clone())
        .await
        .unwrap();
    Sim {
        addr: running.addr,
        control: running.sim.state.control.clone(),
        token: running.sim.state.auth.issue_access_token(),
        running,
        stop,
    }
}

#[derive(Default)]
struct Collect {
    packets: Mutex<Vec<TickerPacket>>,
    orders: Mutex<Vec<OrderUpdate>>,
}

impl TickSink for Collect {
    fn on_packets(&self, packets: &[TickerPacket]) {
        self.packets.lock().unwrap().extend_from_slice(packets);
    }
    fn on_text(&self, text: ServerText) {
        if let ServerText::Order(update) = text {
            self.orders.lock().unwrap().push(*update);
        }
    }
}

impl Collect {
    fn take(&self) -> Vec<TickerPacket> {
        std::mem::take(&mut *self.packets.lock().unwrap())
    }

    /// Waits until a packet for `token` in `mode` arrives (clearing what came before).
    async fn wait_for(&self, token: u32, mode: TickerMode) -> TickerPacket {
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if let Some(p) = self
                    .take()
                    .into_iter()
                    .find(|p| p.token.0 == token && p.mode == mode)
                {
                    return p;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no {mode:?} packet for {token} within 10 s"))
    }
}

fn config(sim: &Sim, token: &str) -> TickerConfig {
    let mut config = TickerConfig::new(
        format!("ws://{}{TICKER_PATH}", sim.addr),
        "sim_key",
        SecretString::from(token.to_owned()),
    );
    config.stall_timeout = Duration::from_millis(1_500);
    config.reconnect_base = Duration::from_millis(50);
    config.reconnect_ceiling = Duration::from_millis(200);
    config
}

async fn wait_state(handle: &TickerHandle, want: impl Fn(&TickerState) -> bool) -> TickerState {
    let mut state = handle.state();
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if want(&state.borrow_and_update()) {
                return state.borrow().clone();
            }
            state.changed().await.unwrap();
        }
    })
    .await
    .unwrap_or_else(|_| panic!("state not reached; last {:?}", handle.state().borrow()))
}

#[tokio::test]
async fn subscriptions_arrive_in_the_mode_asked_for_and_stop_when_dropped() {
    let sim = start_sim().await;
    let sink = Arc::new(Collect::default());
    let stop = CancellationToken::new();
    let ticker = spawn(config(&sim, &sim.token), sink.clone(), stop.clone());
    ticker.subscribe(vec![RELIANCE], TickerMode::Quote).await;
    ticker.subscribe(vec![INFY], TickerMode::Full).await;
    ticker.subscribe(vec![NIFTY], TickerMode::Ltp).await;
    wait_state(&ticker, |s| *s == TickerState::Connected).await;

    let quote = sink.wait_for(RELIANCE, TickerMode::Quote).await;
    assert!(quote.ohlc.close > osp_core::model::Price::ZERO);
    assert!(quote.depth.is_none());
    let full = sink.wait_for(INFY, TickerMode::Full).await;
    let depth = full.depth.expect("full mode carries depth");
    assert!(depth.buy[0].price < full.last_price && full.last_price < depth.sell[0].price);
    let ltp = sink.wait_for(NIFTY, TickerMode::Ltp).await;
    assert!(!ltp.is_tradable(), "an index");

    ticker.unsubscribe(vec![RELIANCE]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    sink.take();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = sink.take();
    assert!(!after.is_empty());
    assert!(after.iter().all(|p| p.token.0 != RELIANCE), "unsubscribed");
    stop.cancel();
    wait_state(&ticker, |s| *s == TickerState::Stopped).await;
}

#[tokio::test]
async fn heartbeats_keep_an_idle_connection_alive() {
    let sim = start_sim().await;
    let stop = CancellationToken::new();
    let ticker = spawn(
        config(&sim, &sim.token),
        Arc::new(Collect::default()),
        stop.clone(),
    );
    wait_state(&ticker, |s| *s == TickerState::Connected).await;
    // Nothing subscribed: only heartbeats, once a second, longer than the stall timeout.
    tokio::time::sleep(Duration::from_millis(2_600)).await;
    assert!(
        ticker
            .stats()
            .heartbeats
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 2
    );
    assert_eq!(
        sim.control.connections_accepted(),
        1,
        "no reconnect while heartbeats flow"
    );
    stop.cancel();
}

#[tokio::test]
async fn a_refused_token_stops_retrying() {
    let sim = start_sim().await;
    let stop = CancellationToken::new();
    let ticker = spawn(
        config(&sim, "wrong_token"),
        Arc::new(Collect::default()),
        stop.clone(),
    );
    wait_state(&ticker, |s| *s == TickerState::Unauthorized).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sim.control.connections_accepted(), 0);
    assert_eq!(*ticker.state().borrow(), TickerState::Unauthorized);
}

/// The ticker follows the client's login: with none it waits; a refused token waits for the
/// next login instead of retrying; a new login connects (with the subscriptions kept); a
/// login dropped closes the connection until the next.
#[tokio::test]
async fn the_ticker_follows_the_login_it_is_given() {
    use kite_connect::common::login::KiteLogin;
    let sim = start_sim().await;
    let (login, watch) = tokio::sync::watch::channel(None);
    let mut config = config(&sim, "unused");
    config.login = watch;
    let sink = Arc::new(Collect::default());
    let stop = CancellationToken::new();
    let ticker = spawn(config, sink.clone(), stop.clone());
    ticker.subscribe(vec![INFY], TickerMode::Quote).await;
    wait_state(&ticker, |s| *s == TickerState::WaitingForLogin).await;
    assert_eq!(sim.control.connections_accepted(), 0);

    let with = |token: &str| {
        Some(KiteLogin {
            api_key: "sim_key".into(),
            access_token: SecretString::from(token.to_owned()),
        })
    };
    login.send_replace(with("stale_token"));
    wait_state(&ticker, |s| *s == TickerState::Unauthorized).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        *ticker.state().borrow(),
        TickerState::Unauthorized,
        "no retry"
    );

    login.send_replace(with(&sim.token));
    wait_state(&ticker, |s| *s == TickerState::Connected).await;
    sink.wait_for(INFY, TickerMode::Quote).await;
    assert_eq!(sim.control.connections_accepted(), 1);

    // Another session (a new Kite login): a new connection with it, the subscription kept.
    let second = sim.running.sim.state.auth.issue_access_token();
    login.send_replace(with(&second));
    tokio::time::timeout(Duration::from_secs(10), async {
        while sim.control.connections_accepted() < 2 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("a second connection with the new login");
    sink.take();
    sink.wait_for(INFY, TickerMode::Quote).await;

    login.send_replace(None);
    wait_state(&ticker, |s| *s == TickerState::WaitingForLogin).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    sink.take();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sink.take().is_empty(), "no ticks without a login");
    stop.cancel();
}

#[tokio::test]
async fn after_a_drop_it_reconnects_and_resubscribes_with_the_same_modes() {
    let sim = start_sim().await;
    let sink = Arc::new(Collect::default());
    let stop = CancellationToken::new();
    let ticker = spawn(config(&sim, &sim.token), sink.clone(), stop.clone());
    ticker.subscribe(vec![INFY], TickerMode::Full).await;
    sink.wait_for(INFY, TickerMode::Full).await;

    sim.control.drop_connections();
    wait_state(&ticker, |s| matches!(s, TickerState::Reconnecting { .. })).await;
    wait_state(&ticker, |s| *s == TickerState::Connected).await;
    sink.take();
    sink.wait_for(INFY, TickerMode::Full).await;
    assert_eq!(sim.control.connections_accepted(), 2);
    stop.cancel();
}

#[tokio::test]
async fn a_stalled_feed_is_detected_and_the_connection_replaced() {
    let sim = start_sim().await;
    let sink = Arc::new(Collect::default());
    let stop = CancellationToken::new();
    let ticker = spawn(config(&sim, &sim.token), sink.clone(), stop.clone());
    ticker.subscribe(vec![INFY], TickerMode::Quote).await;
    sink.wait_for(INFY, TickerMode::Quote).await;

    sim.control.set_silent(true);
    let state = wait_state(&ticker, |s| matches!(s, TickerState::Reconnecting { .. })).await;
    let TickerState::Reconnecting { reason, .. } = state else {
        unreachable!()
    };
    assert!(reason.contains("stalled"), "{reason}");
    sim.control.set_silent(false);
    sink.take();
    sink.wait_for(INFY, TickerMode::Quote).await;
    assert!(sim.control.connections_accepted() >= 2);
    stop.cancel();
}

#[tokio::test]
async fn a_malformed_frame_is_skipped_and_the_connection_kept() {
    let sim = start_sim().await;
    let sink = Arc::new(Collect::default());
    let stop = CancellationToken::new();
    let ticker = spawn(config(&sim, &sim.token), sink.clone(), stop.clone());
    ticker.subscribe(vec![RELIANCE], TickerMode::Quote).await;
    sink.wait_for(RELIANCE, TickerMode::Quote).await;

    sim.control.send_malformed_frame();
    tokio::time::timeout(Duration::from_secs(5), async {
        while ticker
            .stats()
            .decode_errors
            .load(std::sync::atomic::Ordering::Relaxed)
            == 0
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the malformed frame was seen");
    sink.take();
    sink.wait_for(RELIANCE, TickerMode::Quote).await;
    assert_eq!(sim.control.connections_accepted(), 1, "same connection");
    assert_eq!(*ticker.state().borrow(), TickerState::Connected);
    stop.cancel();
}

#[tokio::test]
async fn order_updates_arrive_as_text_frames_on_the_ticker() {
    let sim = start_sim().await;
    let sink = Arc::new(Collect::default());
    let stop = CancellationToken::new();
    let ticker = spawn(config(&sim, &sim.token), sink.clone(), stop.clone());
    wait_state(&ticker, |s| *s == TickerState::Connected).await;

    let client = KiteClient::new(KiteClientConfig::new(
        KiteEndpoints::simulator(&sim.running.base_url()),
        "sim_key",
    ))
    .unwrap();
    client.set_access_token(SecretString::from(sim.token.clone()));
    let mut order = OrderParams::new(
        "NSE",
        "INFY",
        TransactionType::Buy,
        OrderType::Market,
        Product::Mis,
        2,
    );
    order.tag = Some("tickerupdate".into());
    let placed = client.place_order(&order).await.unwrap();

    let statuses = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let seen: Vec<String> = sink
                .orders
                .lock()
                .unwrap()
                .iter()
                .filter(|u| u.order.order_id == placed.order_id)
                .map(|u| u.order.status.clone())
                .collect();
            if seen.iter().any(|s| s == "COMPLETE") {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("no COMPLETE order update within 10 s");
    assert_eq!(statuses, ["OPEN", "COMPLETE"]);
    let done = sink.orders.lock().unwrap().last().cloned().unwrap();
    assert_eq!(done.order.tag.as_deref(), Some("tickerupdate"));
    assert_eq!(done.order.filled_quantity, 2);
    stop.cancel();
}

#[tokio::test]
async fn a_pool_shards_subscriptions_over_connections_and_refuses_past_the_cap() {
    let sim = start_sim().await;
    let sink = Arc::new(Collect::default());
    let stop = CancellationToken::new();
    // Two instruments a connection here; Kite's real figure is 3000.
    let pool = TickerPool::with_capacity(config(&sim, &sim.token), sink.clone(), stop.clone(), 2);
    pool.subscribe(vec![NIFTY, RELIANCE], TickerMode::Quote)
        .await
        .unwrap();
    pool.subscribe(vec![INFY], TickerMode::Full).await.unwrap();
    // INFY went to a second connection; its packets still arrive.
    let full = sink.wait_for(INFY, TickerMode::Full).await;
    assert!(full.depth.is_some());
    sink.wait_for(RELIANCE, TickerMode::Quote).await;
    assert_eq!(pool.states().await.len(), 2);
    assert_eq!(sim.control.connections_accepted(), 2);

    // A mode change stays on the connection that holds the token.
    pool.subscribe(vec![RELIANCE], TickerMode::Ltp)
        .await
        .unwrap();
    sink.wait_for(RELIANCE, TickerMode::Ltp).await;
    assert_eq!(pool.states().await.len(), 2);

    let refused = pool
        .subscribe((1..=4).map(|i| i << 8 | 1).collect(), TickerMode::Ltp)
        .await
        .unwrap_err();
    assert_eq!((refused.wanted, refused.limit), (7, 6));
    assert_eq!(pool.subscribed().await, 3, "nothing changed");
    pool.unsubscribe(vec![NIFTY, RELIANCE]).await;
    assert_eq!(pool.subscribed().await, 1);
    stop.cancel();
}
