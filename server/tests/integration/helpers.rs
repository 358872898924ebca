//! `spawn_app` and friends: start the real application the way `osp serve` does.
//!
//! Over 500 lines: every integration test starts the app through these helpers; the server,
//! its simulator, the signed-in clients and the waits on events live together so none drifts.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use osp_core::model::Price;
use osp_server::config::{Overrides, Settings, load_from};
use osp_server::startup::Application;
use sqlx::Connection;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The first admin every test app is set up with (and `client` is signed in as).
pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub addr: SocketAddr,
    /// Signed in as the admin, and sending the app's own Origin like its pages do.
    pub client: reqwest::Client,
    /// The admin client's cookies (its session), for websocket requests.
    pub cookies: std::sync::Arc<reqwest::cookie::Jar>,
    pub shutdown: CancellationToken,
    pub task: JoinHandle<anyhow::Result<()>>,
    /// The in-process Kite simulator's fault controls.
    pub simulator: kite_sim::SimControl,
    /// The whole simulator (tests move its market with `set_last_price`).
    pub sim: kite_sim::KiteSim,
    /// The demo's ticker connections (to the simulator).
    pub pool: std::sync::Arc<kite_connect::ticker::TickerPool>,
    /// The app's latest prices (what its risk gate reads).
    pub prices: std::sync::Arc<osp_core::services::prices::PriceService>,
    /// What the live feed follows, by owner.
    pub subscriptions: std::sync::Arc<osp_core::services::prices::FeedSubscriptions>,
    /// A REST client logged in to the demo's simulator, as the app's own session.
    pub kite: std::sync::Arc<kite_connect::http::KiteClient>,
    /// Where the demo's simulator listens, and its session for this process.
    pub simulator_addr: SocketAddr,
    pub access_token: secrecy::SecretString,
    /// The demo simulator's app secret (postback checksums).
    pub api_secret: secrecy::SecretString,
    /// Order updates from the demo ticker, as domain events (subscribed before start).
    pub order_events: tokio::sync::broadcast::Receiver<osp_core::model::BrokerOrder>,
    /// Where `/metrics` is served (a free loopback port in tests).
    pub metrics_addr: Option<SocketAddr>,
    /// Kept alive for the app's lifetime; deleted on drop.
    pub _data_dir: tempfile::TempDir,
    /// Stops the standalone simulator of an app on a remote Kite (`spawn_app_on_kite`).
    pub sim_stop: Option<CancellationToken>,
}

/// The Kite app a standalone simulator knows (`spawn_app_on_kite`): what an admin saves on the
/// Settings page.
pub const REMOTE_API_KEY: &str = "rehearsal01";
pub const REMOTE_API_SECRET: &str = "rehearsalsecret02";

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A new browser-like client: its own cookies (no session yet), the app's Origin.
    pub fn new_client(&self) -> (reqwest::Client, std::sync::Arc<reqwest::cookie::Jar>) {
        browser_client(self.addr)
    }

    /// Signs `client` in: the status and the answer.
    pub async fn sign_in(
        &self,
        client: &reqwest::Client,
        username: &str,
        password: &str,
    ) -> (u16, serde_json::Value) {
        let response = client
            .post(self.url("/api/auth/login"))
            .form(&[("username", username), ("password", password)])
            .send()
            .await
            .expect("login answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("login answers JSON"))
    }

    /// Adds a user with `role` (as the admin) and returns a client signed in as them.
    pub async fn user_client(&self, username: &str, role: &str) -> reqwest::Client {
        let password = "a long enough passphrase".to_owned();
        let (status, body) = self
            .call_form(
                "users/create",
                &[
                    ("username", username),
                    ("password", &password),
                    ("role_code", role),
                ],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (client, _) = self.new_client();
        let (status, body) = self.sign_in(&client, username, &password).await;
        assert_eq!(status, 200, "{body}");
        client
    }

    /// A websocket request to `path` carrying the admin's session and the app's Origin.
    pub fn ws_request(
        &self,
        path: &str,
    ) -> tokio_tungstenite::tungstenite::handshake::client::Request {
        use reqwest::cookie::CookieStore;
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = format!("ws://{}{path}", self.addr)
            .into_client_request()
            .expect("a websocket request");
        let headers = request.headers_mut();
        headers.insert(
            "origin",
            format!("http://{}", self.addr).parse().expect("an origin"),
        );
        if let Some(cookie) = self.cookies.cookies(&self.url("/").parse().expect("a url")) {
            headers.insert("cookie", cookie);
        }
        request
    }

    /// `GET /health`: the status code and the JSON body.
    pub async fn health(&self) -> (u16, serde_json::Value) {
        let response = self
            .client
            .get(self.url("/health"))
            .send()
            .await
            .expect("GET /health");
        let status = response.status().as_u16();
        (status, response.json().await.expect("health is JSON"))
    }

    /// Stops the server and waits for it, failing the test if it does not stop cleanly.
    pub async fn stop(self) {
        self.stop_keeping_data().await;
    }

    /// Stops the server and hands back its data directory, to start it again on the same
    /// database (`spawn_app_in`).
    pub async fn stop_keeping_data(self) -> tempfile::TempDir {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(15), self.task)
            .await
            .expect("server stops within 15 s")
            .expect("server task did not panic")
            .expect("server stopped without error");
        if let Some(stop) = self.sim_stop {
            stop.cancel();
        }
        self._data_dir
    }

    /// A server function with a JSON body: the status code and the JSON answer.
    pub async fn call_json(
        &self,
        endpoint: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let response = self
            .client
            .post(self.url(&format!("/api/{endpoint}")))
            .json(&body)
            .send()
            .await
            .expect("server function answers");
        let status = response.status().as_u16();
        (
            status,
            response.json().await.expect("server function answers JSON"),
        )
    }

    /// A server function with a form body.
    pub async fn call_form(
        &self,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        let response = self
            .client
            .post(self.url(&format!("/api/{endpoint}")))
            .form(form)
            .send()
            .await
            .expect("server function answers");
        let status = response.status().as_u16();
        (
            status,
            response.json().await.expect("server function answers JSON"),
        )
    }

    /// The simulator's last price of `key` (`"NSE:INFY"`).
    pub async fn ltp(&self, key: &str) -> Price {
        self.kite.ltp(&[key]).await.expect("a quote")[key].last_price
    }

    /// Trades `token` at `price` on the simulator (which holds it there), then waits for the
    /// app to work through it: its prices show it, and every level on `token` has been checked
    /// against it (`seen`), any order it triggered recorded. Someone must follow `token` (a
    /// level, an alert, a trade), or its price never comes.
    pub async fn trade_at(&self, token: u32, price: Price) {
        use osp_core::ports::MarketData;
        assert!(
            self.sim.set_last_price(token, price),
            "the simulator trades {token}"
        );
        let instrument = osp_core::model::InstrumentToken(token);
        eventually(
            &format!("the app's price of {token} at {price}"),
            async || {
                let latest = self.prices.latest(&[instrument]);
                latest
                    .first()
                    .is_some_and(|t| t.last_price == price)
                    .then_some(())
            },
        )
        .await;
        eventually(
            &format!("every level on {token} working through {price}"),
            async || {
                let (status, view) = self.call_form("levels", &[]).await;
                assert_eq!(status, 200, "{view}");
                let seen_there = view["levels"]
                    .as_array()
                    .expect("a list of levels")
                    .iter()
                    .filter(|l| l["stored"]["level"]["token"] == token)
                    .all(|l| {
                        serde_json::from_value::<Price>(l["seen"]["price"].clone()).ok()
                            == Some(price)
                    });
                seen_there.then_some(())
            },
        )
        .await;
    }

    /// Waits until the level monitor has a price of `token` to watch its levels from (a level
    /// made on an instrument no one followed waits for its first tick before it can cross).
    pub async fn watching(&self, token: u32) {
        eventually(&format!("the level monitor watching {token}"), async || {
            let (_, view) = self.call_form("levels", &[]).await;
            view["levels"]
                .as_array()?
                .iter()
                .filter(|l| l["stored"]["level"]["token"] == token)
                .all(|l| !l["seen"].is_null())
                .then_some(())
        })
        .await;
    }

    /// The order book (`orders`), newest first.
    pub async fn orders(&self) -> Vec<serde_json::Value> {
        let (status, orders) = self.call_form("orders", &[]).await;
        assert_eq!(status, 200, "{orders}");
        orders.as_array().expect("a list").clone()
    }

    /// The trade book (`trades`).
    pub async fn trade_book(&self) -> serde_json::Value {
        let (status, book) = self.call_form("trades", &[]).await;
        assert_eq!(status, 200, "{book}");
        book
    }

    /// Waits (at most 10 s) until the trade book satisfies `done`, and returns it.
    pub async fn wait_for_book(
        &self,
        what: &str,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        eventually(&format!("the trade book showing {what}"), async || {
            let found = self.trade_book().await;
            done(&found).then_some(found)
        })
        .await
    }
}

/// `price` × (1 + bp/10000), on the ₹0.05 grid.
pub fn moved(price: Price, bp: i64) -> Price {
    const TICK: i64 = 500;
    let raw = price.raw() + price.raw() * bp / 10_000;
    Price::from_raw(raw - raw.rem_euclid(TICK))
}

/// The fields a 400 `invalid` answer names, in order.
pub fn problem_fields(error: &serde_json::Value) -> Vec<String> {
    error["detail"]
        .as_array()
        .unwrap_or_else(|| panic!("per-field problems: {error}"))
        .iter()
        .map(|p| p["field"].as_str().expect("a field").to_owned())
        .collect()
}

/// Polls `probe` (at most 10 s) until it gives something.
pub async fn eventually<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..100 {
        if let Some(found) = probe().await {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} never happened");
}

/// Settings as the binary would load them, for a test: port 0, a temporary data directory, a
/// fast demo feed, plus `extra` environment variables.
pub fn test_settings(data_dir: &std::path::Path, extra: &[(&str, &str)]) -> Settings {
    let mut env: HashMap<String, String> = HashMap::new();
    env.insert("OSP__DEMO__TICK_INTERVAL_MS".into(), "50".into());
    for (k, v) in extra {
        env.insert((*k).into(), (*v).into());
    }
    let overrides = Overrides {
        profile: Some("test".into()),
        addr: Some("127.0.0.1:0".into()),
        data_dir: Some(data_dir.to_path_buf()),
        ..Overrides::default()
    };
    load_from(&overrides, &env).expect("test settings are valid")
}

/// A client like a browser on the app's pages: a cookie jar, and the app's Origin on every
/// request (the guard refuses a write without one).
pub fn browser_client(addr: SocketAddr) -> (reqwest::Client, std::sync::Arc<reqwest::cookie::Jar>) {
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ORIGIN,
        format!("http://{addr}").parse().expect("an origin"),
    );
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .cookie_provider(jar.clone())
        .default_headers(headers)
        // Redirects (to the sign-in page) are for the tests to see.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client");
    (client, jar)
}

/// Signs the first admin in: made on a new database, signed in on a restart.
pub async fn admin_session(addr: SocketAddr, client: &reqwest::Client) {
    let url = |path: &str| format!("http://{addr}{path}");
    let form = [("username", ADMIN), ("password", ADMIN_PASSWORD)];
    let setup = client
        .post(url("/api/auth/setup"))
        .form(&form)
        .send()
        .await
        .expect("setup answers");
    if setup.status().is_success() {
        return;
    }
    let login = client
        .post(url("/api/auth/login"))
        .form(&form)
        .send()
        .await
        .expect("login answers");
    assert!(
        login.status().is_success(),
        "the test admin cannot sign in: {}",
        login.text().await.unwrap_or_default()
    );
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    spawn_app_in(tempfile::tempdir().expect("temporary directory"), extra).await
}

/// Starts the app on `data_dir` (a restart when it holds an earlier run's database).
pub async fn spawn_app_in(data_dir: tempfile::TempDir, extra: &[(&str, &str)]) -> TestApp {
    let settings = test_settings(data_dir.path(), extra);
    let app = Application::build(&settings)
        .await
        .expect("application builds");
    let demo = app
        .demo()
        .expect("the app runs on its in-process simulator");
    let own = Simulator {
        addr: demo.simulator_addr,
        sim: demo.sim.clone(),
        api_key: osp_server::kite::demo::DEMO_API_KEY,
        access_token: demo.access_token.clone(),
        api_secret: demo.api_secret.clone(),
        stop: None,
    };
    finish_spawn(app, own, data_dir).await
}

/// A simulator the test app trades on: the app's own, or a standalone one.
struct Simulator {
    addr: SocketAddr,
    sim: kite_sim::KiteSim,
    api_key: &'static str,
    /// A session of the test's own on it.
    access_token: secrecy::SecretString,
    api_secret: secrecy::SecretString,
    stop: Option<CancellationToken>,
}

/// Starts the app in `mode` (paper or live) on a remote Kite: a standalone simulator on
/// loopback, as `osp kite-sim` runs one, which knows the Kite app `REMOTE_API_KEY`. The app
/// starts with no Kite app and no session, as a new installation does; the simulator's login
/// page sends the browser back to the app's `/kite/callback`.
pub async fn spawn_app_on_kite(
    data_dir: tempfile::TempDir,
    mode: &str,
    extra: &[(&str, &str)],
) -> TestApp {
    spawn_app_on_kite_at(
        data_dir,
        mode,
        extra,
        std::sync::Arc::new(osp_server::clock::SystemClock),
    )
    .await
}

/// `spawn_app_on_kite`, the simulator keeping the time of `clock` (its day and Kite's
/// square-off follow it; the app keeps the real time).
pub async fn spawn_app_on_kite_at(
    data_dir: tempfile::TempDir,
    mode: &str,
    extra: &[(&str, &str)],
    clock: std::sync::Arc<dyn osp_core::ports::Clock>,
) -> TestApp {
    use kite_sim::{KiteSim, SimConfig};
    let stop = CancellationToken::new();
    let mut config = SimConfig::new(REMOTE_API_KEY, REMOTE_API_SECRET);
    config.auto_login = false;
    config.tick_interval = Duration::from_millis(100);
    let running = KiteSim::start_on_loopback(config, clock, stop.clone())
        .await
        .expect("a standalone simulator");
    let own = Simulator {
        addr: running.addr,
        access_token: secrecy::SecretString::from(running.sim.state.auth.issue_access_token()),
        sim: running.sim,
        api_key: REMOTE_API_KEY,
        api_secret: secrecy::SecretString::from(REMOTE_API_SECRET),
        stop: Some(stop),
    };
    spawn_on_remote(data_dir, mode, extra, own).await
}

impl TestApp {
    /// Stops the app and starts it again in `mode` on the same data directory and the same
    /// standalone simulator (`spawn_app_on_kite`), which keeps its sessions and orders.
    pub async fn restart_on_same_kite(self, mode: &str) -> TestApp {
        self.restart_on_same_kite_after(mode, async |_| {}).await
    }

    /// `restart_on_same_kite`, doing `while_down` to the simulator while the app is stopped
    /// (the market moves on at Kite while the app is down).
    pub async fn restart_on_same_kite_after(
        mut self,
        mode: &str,
        while_down: impl AsyncFnOnce(&kite_sim::KiteSim),
    ) -> TestApp {
        let stop = self
            .sim_stop
            .take()
            .expect("an app on a standalone simulator");
        let own = Simulator {
            addr: self.simulator_addr,
            sim: self.sim.clone(),
            api_key: REMOTE_API_KEY,
            access_token: self.access_token.clone(),
            api_secret: self.api_secret.clone(),
            stop: Some(stop),
        };
        let data_dir = self.stop_keeping_data().await;
        while_down(&own.sim).await;
        spawn_on_remote(data_dir, mode, &[], own).await
    }
}

async fn spawn_on_remote(
    data_dir: tempfile::TempDir,
    mode: &str,
    extra: &[(&str, &str)],
    own: Simulator,
) -> TestApp {
    let endpoint = format!("http://{}", own.addr);
    let mut pairs = vec![
        ("OSP__MODE", mode),
        ("OSP__KITE__ENDPOINT", endpoint.as_str()),
        // Live mode on the test's own simulator, over plain http: the named opt-out.
        ("OSP__KITE__ALLOW_PLAIN_HTTP", "true"),
    ];
    pairs.extend_from_slice(extra);
    let settings = test_settings(data_dir.path(), &pairs);
    let app = Application::build(&settings)
        .await
        .expect("application builds");
    assert!(
        app.demo().is_none(),
        "no in-process simulator on a remote Kite"
    );
    let addr = app.local_addr().expect("bound address");
    own.sim
        .state
        .set_redirect_url(Some(format!("http://{addr}/kite/callback")));
    finish_spawn(app, own, data_dir).await
}

async fn finish_spawn(app: Application, own: Simulator, data_dir: tempfile::TempDir) -> TestApp {
    let addr = app.local_addr().expect("bound address");
    let shutdown = app.shutdown_token();
    let simulator = own.sim.state.control.clone();
    let sim = own.sim.clone();
    let pool = app.market().pool.clone();
    let subscriptions = app.subscriptions().clone();
    let prices = app.market().prices.clone();
    let order_events = app.market().live.order_events();
    let kite = {
        use kite_connect::common::urls::KiteEndpoints;
        use kite_connect::http::{KiteClient, KiteClientConfig};
        let client = KiteClient::new(KiteClientConfig::new(
            KiteEndpoints::simulator(&format!("http://{}", own.addr)),
            own.api_key,
        ))
        .expect("kite client");
        client.set_access_token(own.access_token.clone());
        std::sync::Arc::new(client)
    };
    let simulator_addr = own.addr;
    let access_token = own.access_token.clone();
    let api_secret = own.api_secret.clone();
    let sim_stop = own.stop;
    let metrics_addr = app.metrics_addr();
    let task = tokio::spawn(app.run_until_stopped());
    let (client, cookies) = browser_client(addr);
    admin_session(addr, &client).await;
    TestApp {
        addr,
        client,
        cookies,
        shutdown,
        task,
        simulator,
        sim,
        pool,
        prices,
        subscriptions,
        kite,
        simulator_addr,
        access_token,
        api_secret,
        order_events,
        metrics_addr,
        _data_dir: data_dir,
        sim_stop,
    }
}

/// A fresh, migrated SQLite database in a temporary directory (kept while the dir lives).
pub async fn sqlite_database() -> (osp_server::database::Database, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = osp_server::database::Database::connect(&osp_server::config::DatabaseSettings {
        url: secrecy::SecretString::from(format!(
            "sqlite://{}",
            dir.path().join("osp.db").display()
        )),
        max_connections: 2,
    })
    .await
    .expect("open SQLite");
    db.migrate().await.expect("migrate SQLite");
    (db, dir)
}

/// A fresh, migrated database on the test PostgreSQL server, and its name (to drop it).
pub async fn postgres_database() -> (osp_server::database::Database, TestDatabase) {
    let (url, name) = fresh_postgres_database().await;
    let db = osp_server::database::Database::connect(&osp_server::config::DatabaseSettings {
        url: secrecy::SecretString::from(url),
        max_connections: 2,
    })
    .await
    .expect("connect to the test database");
    db.migrate().await.expect("migrate PostgreSQL");
    (db, name)
}

/// The throwaway PostgreSQL server the test command starts. These tests do not skip without
/// it: a PostgreSQL test that did not run must not count as passed.
pub fn postgres_admin_url() -> String {
    std::env::var("OSP_TEST_POSTGRES_URL").expect(
        "OSP_TEST_POSTGRES_URL is not set: run the README's test command (scripts/test.sh), \
         which starts a throwaway PostgreSQL, or point it at a server you own",
    )
}

/// The name of a test database on the throwaway server. Dropped with it when this goes out of
/// scope — after the test's own `drop_postgres_database`, or when a failing assertion unwinds
/// past it — so a failed test leaves no database behind.
pub struct TestDatabase(String);

impl std::ops::Deref for TestDatabase {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TestDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // `Drop` cannot wait on the test's runtime (it may be the one unwinding): a thread with
        // a runtime of its own drops the database (`IF EXISTS`: the test may have already).
        let name = std::mem::take(&mut self.0);
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&postgres_admin_url())
                    .await
                    .map_err(|e| e.to_string())?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .map_err(|e| e.to_string())?;
                conn.close().await.ok();
                Ok::<_, String>(())
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("a test database was left behind: {e}");
        }
    }
}

/// A new, empty database on the test server; returns its URL and name (which drops it at the
/// end of the test, passed or failed).
pub async fn fresh_postgres_database() -> (String, TestDatabase) {
    let admin = postgres_admin_url();
    let name = format!("osp_test_{}", uuid_like());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connect to the test PostgreSQL server");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create a test database");
    conn.close().await.ok();
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    (format!("{base}/{name}"), TestDatabase(name))
}

pub async fn drop_postgres_database(name: &str) {
    let mut conn = sqlx::PgConnection::connect(&postgres_admin_url())
        .await
        .expect("connect to the test PostgreSQL server");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .expect("drop the test database");
}

fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{:x}_{}", nanos, std::process::id())
}

/// Logs in on the simulator's Kite login page at `login_url` (its one button), as a browser
/// would; returns where it sends the browser back (the app's `/kite/callback?…`).
pub async fn approve_kite_login(browser: &reqwest::Client, login_url: &str) -> String {
    let page = browser.get(login_url).send().await.expect("the login page");
    assert_eq!(page.status(), 200, "the simulator shows its login page");
    let html = page.text().await.expect("the login page's HTML");
    let field = |name: &str| {
        html.split(&format!("name={name} value=\""))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("the login page has {name}: {html}"))
            .replace("&amp;", "&")
    };
    let simulator = login_url
        .split("/connect/login")
        .next()
        .expect("a login URL");
    let back = browser
        .post(format!("{simulator}/connect/login/approve"))
        .form(&[
            ("api_key", field("api_key")),
            ("redirect_params", field("redirect_params")),
        ])
        .send()
        .await
        .expect("the login's approval");
    assert_eq!(back.status(), 303, "the simulator sends the browser back");
    back.headers()["location"]
        .to_str()
        .expect("a location")
        .to_owned()
}

/// Every byte SQLite keeps for the databases in `dir`: the main file and its write-ahead log
/// (a recent write may be only in `-wal` until a checkpoint), as text for plain-text searches.
///
/// SQLite removes `-wal` and `-shm` as the last connection closes, after checkpointing them
/// into the main file; a file listed and then gone means that happened between the listing and
/// the read, so everything is read again (the main file then holds what the log did).
pub fn database_bytes(dir: &std::path::Path) -> String {
    'again: for _ in 0..10 {
        let mut all = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
            if entry.file_name().to_string_lossy().contains(".db") {
                match std::fs::read(entry.path()) {
                    Ok(bytes) => all.extend(bytes),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue 'again,
                    Err(e) => panic!("cannot read {}: {e}", entry.path().display()),
                }
            }
        }
        return String::from_utf8_lossy(&all).into_owned();
    }
    panic!(
        "the database files in {} kept changing while read",
        dir.display()
    )
}

/// Kite ends every session at 06:00 IST, and the app ends its own then by its clock (the real
/// one, in these tests): a trial that logs in to Kite before it and trades after finds its
/// orders refused and its workers paused — as a trader would, but not what the trial tests.
/// When `span` from now (plus a minute) would reach the next 06:00 IST, this waits until it
/// has passed, and says so. (A chaos run straddled it: its kill storm's workers paused at
/// 06:00:00 IST and "nobody took the lease over".)
pub async fn clear_of_kites_daily_flush(span: Duration) {
    let now_ms = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("a clock after 1970")
            .as_millis(),
    )
    .expect("a clock before 2262");
    let flush_ms = osp_core::services::trading::kite_session_end_ms(now_ms);
    let span_ms = i64::try_from(span.as_millis()).unwrap_or(i64::MAX);
    if flush_ms - now_ms < span_ms.saturating_add(60_000) {
        let wait = Duration::from_millis(u64::try_from(flush_ms - now_ms).unwrap_or(0) + 5_000);
        eprintln!(
            "waiting {} s for Kite's 06:00 IST session flush to pass, so that this trial of \
             {} s does not straddle it",
            wait.as_secs(),
            span.as_secs()
        );
        tokio::time::sleep(wait).await;
    }
}

/// "Connect Kite" as the admin's browser does it: to Kite's login page, approved, and back
/// (Kite's redirect is cross-site: it carries no session cookie). Where the browser lands.
pub async fn connect_kite(app: &TestApp) -> String {
    clear_of_kites_daily_flush(Duration::from_secs(120)).await;
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let to_kite = app
        .client
        .get(app.url("/kite/connect"))
        .send()
        .await
        .unwrap();
    assert_eq!(to_kite.status(), 303);
    let login = to_kite.headers()["location"].to_str().unwrap().to_owned();
    if !login.contains("/connect/login?") {
        return login;
    }
    let callback = approve_kite_login(&plain, &login).await;
    let back = plain.get(&callback).send().await.unwrap();
    assert_eq!(back.status(), 303);
    back.headers()["location"].to_str().unwrap().to_owned()
}

pub async fn save_kite_app(app: &TestApp) {
    let (code, saved) = app
        .call_form(
            "kite/app",
            &[
                ("api_key", REMOTE_API_KEY),
                ("api_secret", REMOTE_API_SECRET),
            ],
        )
        .await;
    assert_eq!(code, 200, "{saved}");
    assert_eq!(saved["api_key"], REMOTE_API_KEY);
    assert_eq!(saved["simulated"], false, "{saved}");
}

/// Waits until the app has Kite's instruments and its ticker streams Kite's prices.
pub async fn wait_for_kite_market(app: &TestApp) {
    eventually("Kite's instruments in the catalog", async || {
        let (_, found) = app
            .call_form("instruments/search", &[("query", "INFY")])
            .await;
        found.to_string().contains("\"INFY\"").then_some(())
    })
    .await;
    // The starter watchlist holds INFY: its price has come through Kite's ticker.
    eventually("INFY's price from Kite's ticker", async || {
        let (_, view) = app.call_form("watchlists", &[]).await;
        view["ticks"]
            .as_array()?
            .iter()
            .any(|t| t["token"] == 408_065)
            .then_some(())
    })
    .await;
}
