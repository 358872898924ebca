//! The layout for more than one machine, for the tests that run it as real processes
//! (`scale_out.rs`, `storm.rs`): a standalone Kite simulator inside the test, any number of
//! `osp workers` and `osp serve --no-workers` on one fresh PostgreSQL database and one Redis bus
//! (the test command's throwaway servers), an admin signed in and Kite connected through a web
//! process; and the calls those tests make of them.

use std::net::SocketAddr;
use std::time::Duration;

use app::live::{ClientMessage, ServerMessage};
use futures::{SinkExt, StreamExt};
use osp_core::model::{InstrumentToken, Price};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::helpers::{
    REMOTE_API_KEY, REMOTE_API_SECRET, TestDatabase, approve_kite_login, browser_client,
    fresh_postgres_database,
};
use crate::processes::{Layout, Process, SECRETS_KEY};

pub const INFY: u32 = 408_065;

/// The simulator, the environment every process starts with, and the database they share.
pub struct Cluster {
    pub sim: kite_sim::RunningSim,
    stop_sim: CancellationToken,
    pub layout: Layout,
    pub database_url: String,
    /// Dropped (with the database) at the end of the test, passed or failed; none when the test
    /// brought a server of its own.
    _database: Option<TestDatabase>,
}

impl Cluster {
    /// A simulator ticking every 100 ms whose login page is approved by hand, sending Kite's
    /// login back to the web process at `login_return`; a fresh database; the bus on channels of
    /// its own (`name`, so tests sharing the Redis do not hear each other); a trading lease a
    /// dead holder keeps for `lease_ttl_ms`.
    pub async fn new(name: &str, login_return: SocketAddr, lease_ttl_ms: u32) -> Cluster {
        let (database_url, database) = fresh_postgres_database().await;
        Cluster::on_database(
            name,
            login_return,
            lease_ttl_ms,
            database_url,
            Some(database),
        )
        .await
    }

    /// As `new`, on the database at `database_url` (a server the test owns and can stop).
    pub async fn on_database(
        name: &str,
        login_return: SocketAddr,
        lease_ttl_ms: u32,
        database_url: String,
        database: Option<TestDatabase>,
    ) -> Cluster {
        Cluster::assembled(
            name,
            login_return,
            lease_ttl_ms,
            database_url,
            database,
            TICK,
        )
        .await
    }

    /// As `new`, with the simulator stepping every `tick_interval` (it sends every subscribed
    /// instrument each step: the soak's ticks per second).
    pub async fn ticking(
        name: &str,
        login_return: SocketAddr,
        lease_ttl_ms: u32,
        tick_interval: Duration,
    ) -> Cluster {
        let (database_url, database) = fresh_postgres_database().await;
        Cluster::assembled(
            name,
            login_return,
            lease_ttl_ms,
            database_url,
            Some(database),
            tick_interval,
        )
        .await
    }

    async fn assembled(
        name: &str,
        login_return: SocketAddr,
        lease_ttl_ms: u32,
        database_url: String,
        database: Option<TestDatabase>,
        tick_interval: Duration,
    ) -> Cluster {
        let (sim, stop_sim) = standalone_sim_ticking(login_return, tick_interval).await;
        let layout = Layout {
            dir: tempfile::tempdir().expect("a temporary directory"),
            env: [
                ("OSP__PROFILE", "test".to_owned()),
                ("OSP__MODE", "demo".to_owned()),
                ("OSP__DATABASE__URL", database_url.clone()),
                ("OSP__BUS__URL", redis_url()),
                ("OSP__BUS__PREFIX", format!("{name}-{}", std::process::id())),
                ("OSP__KITE__ENDPOINT", format!("http://{}", sim.addr)),
                ("OSP__KITE__API_KEY", REMOTE_API_KEY.to_owned()),
                ("OSP__KITE__API_SECRET", REMOTE_API_SECRET.to_owned()),
                ("OSP__SECRETS__KEY", SECRETS_KEY.to_owned()),
                ("OSP__WORKERS__LEASE_TTL_MS", lease_ttl_ms.to_string()),
                ("OSP__LOG__FILTER", "info,osp_server=debug".to_owned()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        };
        Cluster {
            sim,
            stop_sim,
            layout,
            database_url,
            _database: database,
        }
    }

    /// Sets (or replaces) a setting every process started from now on gets.
    pub fn set_env(&mut self, key: &str, value: String) {
        self.layout.env.retain(|(k, _)| k != key);
        self.layout.env.push((key.to_owned(), value));
    }

    /// Stops the simulator; the database goes with `self`.
    pub fn stop(self) {
        self.stop_sim.cancel();
    }
}

/// A simulator on loopback as `osp kite-sim` runs one (ticking every 100 ms, its login page
/// approved by hand), sending Kite's login back to the app at `login_return`; cancel the token
/// to stop it.
pub async fn standalone_sim(login_return: SocketAddr) -> (kite_sim::RunningSim, CancellationToken) {
    standalone_sim_ticking(login_return, TICK).await
}

/// How often `osp kite-sim` steps its market.
const TICK: Duration = Duration::from_millis(100);

async fn standalone_sim_ticking(
    login_return: SocketAddr,
    tick_interval: Duration,
) -> (kite_sim::RunningSim, CancellationToken) {
    use kite_sim::{KiteSim, SimConfig};
    let stop = CancellationToken::new();
    let mut config = SimConfig::new(REMOTE_API_KEY, REMOTE_API_SECRET);
    config.auto_login = false;
    config.tick_interval = tick_interval;
    let sim = KiteSim::start_on_loopback(
        config,
        std::sync::Arc::new(osp_server::clock::SystemClock),
        stop.clone(),
    )
    .await
    .expect("a standalone simulator");
    sim.sim
        .state
        .set_redirect_url(Some(format!("http://{login_return}/kite/callback")));
    (sim, stop)
}

/// Where each process writes its log, read whole for a failure's message (held apart from
/// the processes, which a test kills and starts again).
pub struct Logs(Vec<(&'static str, std::path::PathBuf)>);

impl Logs {
    pub fn of(processes: &[&Process]) -> Logs {
        Logs(processes.iter().map(|p| (p.name, p.log.clone())).collect())
    }

    /// Every log, each under its process's name.
    pub fn read(&self) -> String {
        self.0
            .iter()
            .map(|(name, file)| {
                format!(
                    "--- {name} ---\n{}",
                    std::fs::read_to_string(file).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

pub fn redis_url() -> String {
    std::env::var("OSP_TEST_REDIS_URL").expect(
        "OSP_TEST_REDIS_URL is not set: run the README's test command (scripts/test.sh), \
         which starts a throwaway Redis on loopback",
    )
}

pub async fn ready(addr: SocketAddr) -> Value {
    reqwest::get(format!("http://{addr}/ready"))
        .await
        .expect("/ready answers")
        .json()
        .await
        .expect("/ready is JSON")
}

/// The phase of the trading worker a workers process at `addr` reports ("running" on the
/// lease holder), or `None` when it does not answer.
pub async fn trading_phase(addr: SocketAddr) -> Option<String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .ok()?;
    let body: Value = client
        .get(format!("http://{addr}/ready"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    body["workers"]
        .as_array()?
        .iter()
        .find(|w| w["name"] == "trading")?["phase"]
        .as_str()
        .map(str::to_owned)
}

/// A server function called with JSON; its answer must be a success.
pub async fn call(
    client: &reqwest::Client,
    addr: SocketAddr,
    endpoint: &str,
    body: Value,
) -> Value {
    let response = client
        .post(format!("http://{addr}/api/{endpoint}"))
        .json(&body)
        .send()
        .await
        .expect("server function answers");
    let status = response.status();
    let body: Value = response.json().await.expect("JSON");
    assert!(status.is_success(), "{endpoint}: {status} {body}");
    body
}

/// A server function called as a browser's form posts it; its answer must be a success.
pub async fn post_form<T: serde::Serialize + ?Sized>(
    client: &reqwest::Client,
    addr: SocketAddr,
    endpoint: &str,
    fields: &T,
) {
    let response = client
        .post(format!("http://{addr}/api/{endpoint}"))
        .form(fields)
        .send()
        .await
        .expect("server function answers");
    let status = response.status();
    assert!(
        status.is_success(),
        "{endpoint}: {status} {}",
        response.text().await.unwrap_or_default()
    );
}

/// The first admin, made through the web process at `first`, signed in on each of `others`
/// (one database): a client with its cookies per web process, in order.
pub async fn admins(
    first: SocketAddr,
    others: &[SocketAddr],
) -> Vec<(reqwest::Client, std::sync::Arc<reqwest::cookie::Jar>)> {
    let form = [
        ("username", "admin"),
        ("password", "a long enough passphrase"),
    ];
    let (admin, cookies) = browser_client(first);
    post_form(&admin, first, "auth/setup", &form).await;
    let mut signed_in = vec![(admin, cookies)];
    for &addr in others {
        let (admin, cookies) = browser_client(addr);
        post_form(&admin, addr, "auth/login", &form).await;
        signed_in.push((admin, cookies));
    }
    signed_in
}

/// Connects Kite through the web process at `web` as its admin does: to the simulator's login
/// page, approved, back to the app's callback. The workers' ticker follows the login stored.
/// Returns once the web process has the day's instruments (an order or a level made before is
/// refused: "not in today's list"), at most 30 s.
pub async fn connect_kite(admin: &reqwest::Client, web: SocketAddr) {
    crate::helpers::clear_of_kites_daily_flush(Duration::from_secs(120)).await;
    let to_kite = admin
        .get(format!("http://{web}/kite/connect"))
        .send()
        .await
        .unwrap();
    assert_eq!(to_kite.status(), 303);
    let login_url = to_kite.headers()["location"].to_str().unwrap().to_owned();
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let callback = approve_kite_login(&plain, &login_url).await;
    let back = plain.get(&callback).send().await.unwrap();
    assert_eq!(back.status(), 303, "{}", back.text().await.unwrap());
    for _ in 0..300 {
        let found = admin
            .post(format!("http://{web}/api/instruments/search"))
            .form(&[("query", "INFY")])
            .send()
            .await
            .expect("instruments/search answers");
        if found.text().await.unwrap_or_default().contains("\"INFY\"") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the web process at {web} never had the day's instruments after Connect Kite");
}

/// One INFY bought at market, as the order ticket sends it.
pub fn market_buy_ticket() -> Value {
    json!({ "ticket": {
        "token": INFY, "side": "buy", "quantity": "1", "product": "intraday",
        "kind": "market", "price": "", "trigger": "",
    }})
}

/// A level on INFY at `price` that buys 2 at market when the price crosses it upwards, once.
pub fn level_draft(price: Price) -> Value {
    json!({
        "token": INFY, "price": price.to_string(), "trigger": "up", "on_up": "buy",
        "on_down": null, "quantity": "2", "product": "intraday", "limit_offset": "",
        "target": "", "stop_loss": "", "trailing_stop": "", "confirmation": "cross",
        "confirmation_value": "", "rearm": "once", "rearm_distance": "", "window_from": "",
        "window_to": "", "enabled": true, "note": "scale-out",
    })
}

pub fn last_price(sim: &kite_sim::KiteSim) -> Price {
    sim.state
        .market
        .snapshot_now()
        .quote(InstrumentToken(INFY))
        .expect("the simulator trades INFY")
        .tick
        .last_price
}

pub async fn orders(client: &reqwest::Client, addr: SocketAddr) -> Vec<Value> {
    call(client, addr, "orders", json!({}))
        .await
        .as_array()
        .expect("a list")
        .clone()
}

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A browser's price stream on the web process at `addr`, following INFY.
pub async fn price_stream(addr: SocketAddr, cookies: &reqwest::cookie::Jar) -> Ws {
    price_stream_following(addr, cookies, vec![InstrumentToken(INFY)]).await
}

/// A browser's price stream on the web process at `addr`, following `tokens`.
pub async fn price_stream_following(
    addr: SocketAddr,
    cookies: &reqwest::cookie::Jar,
    tokens: Vec<InstrumentToken>,
) -> Ws {
    use reqwest::cookie::CookieStore;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{addr}/ws/prices")
        .into_client_request()
        .expect("a websocket request");
    let headers = request.headers_mut();
    headers.insert("origin", format!("http://{addr}").parse().unwrap());
    if let Some(cookie) = cookies.cookies(&format!("http://{addr}/").parse().unwrap()) {
        headers.insert("cookie", cookie);
    }
    let (mut ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the price stream connects");
    let follow = ClientMessage::Follow { tokens };
    ws.send(Message::Text(
        serde_json::to_string(&follow).unwrap().into(),
    ))
    .await
    .expect("follow");
    ws
}

/// Reads `ws` until a tick of INFY at `price` arrives (at most 15 s).
pub async fn sees_price(ws: &mut Ws, price: Price) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while let Ok(Some(Ok(message))) = tokio::time::timeout_at(deadline, ws.next()).await {
        if let Message::Text(text) = message
            && let Ok(ServerMessage::Ticks { ticks }) = serde_json::from_str(&text)
            && ticks
                .iter()
                .any(|t| t.token == InstrumentToken(INFY) && t.last_price == price)
        {
            return true;
        }
    }
    false
}
