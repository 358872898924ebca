//! Tick → order latency through the whole app, as `scripts/bench.sh` measures it: the real
//! server in demo mode (SQLite, its level engine and risk gate, the Kite client) trading on its
//! in-process Kite simulator over loopback. The clock starts when the simulator's ticker has
//! written the frame that crosses a level to its websocket and stops when the order placement
//! that crossing caused arrives at the simulator's `POST /orders/regular` — every hop of
//! docs/ARCHITECTURE.md's "tick → order path" between them, margin check and database writes
//! included.
//!
//! The account holds `MAX_LEVELS` (1,000) armed levels, 20 on each of the 50 NSE equities, each
//! triggering on the way up (buys and sells in turn), spaced 0.5 % apart above the price; each step moves one instrument's
//! price just past its next level, so every step crosses exactly one level and must place
//! exactly one order; the first 10 levels of each are crossed (500 crossings). Latencies go into
//! an HDR histogram; prints one JSON line:
//! `{"samples", "missing", "p50_us", "p99_us", "p999_us", "max_us", "to_margin_*",
//! "margin_to_order_*", "manual_*"}`: the crossings also split where the margin check's
//! request arrives at the simulator. Also the manual ticket: from the confirm request leaving
//! the client to the placement arriving.
//!
//! Crossings come one per `PACE` (300 ms), inside Kite's rate limits, which the app keeps in demo
//! mode too; faster, the limiter's waits are what is measured. Loopback only, bounded (about
//! four minutes), stops by itself. Build with
//! `cargo build --release -p server --example tick_to_order`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use osp_core::model::{InstrumentToken, Price};
use osp_server::config::{Overrides, load_from};
use osp_server::startup::Application;
use serde_json::{Value, json};

const LEVELS_PER_INSTRUMENT: i64 = 20;
const INSTRUMENTS: usize = 50;
/// Level spacing: 0.5 % of the start price, in basis points.
const STEP_BP: i64 = 50;
/// Levels crossed per instrument (of the 20 armed): 500 crossings in all.
const CROSSED_PER_INSTRUMENT: i64 = 10;
const ORDER_WAIT: Duration = Duration::from_secs(3);
const MANUAL_ORDERS: usize = 200;
/// One crossing (or manual order) per 300 ms: inside Kite's limits, which the app keeps to in
/// demo mode too — 10 placements a second and 400 a minute, and 10 a second for everything else,
/// where each entry's margin check takes two (the account's funds and the order's margin). At
/// 5 entries a second those two calls used the whole budget and every entry waited ~150 ms for
/// a slot: the run measured the limiter, not the path.
const PACE: Duration = Duration::from_millis(300);

type Failure = String;

/// The allocator `osp` runs with (server/src/main.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    // The app's warnings (a refused order, a lost feed) on stderr; RUST_LOG for more.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let dir = tempfile::tempdir().map_err(|e| format!("a temporary directory: {e}"))?;
    let env: HashMap<String, String> = [
        // The demo's random walk moves prices every 3 s (the app waits up to 10 s for the first
        // at start-up). It leaves alone the instruments this program holds at a price, so every
        // crossing is this program's; a walk frame in the middle of a measurement would only
        // shorten that sample, which at one frame per 3 s against milliseconds is rare.
        ("OSP__DEMO__TICK_INTERVAL_MS", "3000"),
        ("OSP__LOG__FILTER", "warn"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let overrides = Overrides {
        profile: Some("test".into()),
        addr: Some("127.0.0.1:0".into()),
        data_dir: Some(dir.path().to_path_buf()),
        ..Overrides::default()
    };
    let settings = load_from(&overrides, &env).map_err(|e| e.to_string())?;
    let app = Application::build(&settings)
        .await
        .map_err(|e| format!("the app did not start: {e}"))?;
    let demo = app
        .demo()
        .ok_or("the app runs on its in-process simulator")?;
    let sim = demo.sim.clone();
    let control = demo.simulator.clone();
    let addr = app.local_addr().map_err(|e| e.to_string())?;
    let shutdown = app.shutdown_token();
    let server = tokio::spawn(app.run_until_stopped());

    let api = Api::signed_in(addr).await?;
    api.call(
        "risk/limits",
        json!({ "draft": {
            "max_order_quantity": "", "max_order_value": "", "max_open_positions": "",
            "max_orders_per_day": "", "max_daily_loss": "", "price_band": "",
        }}),
    )
    .await?;

    // 50 equities, each at a round start price, 20 levels above it.
    let mut equities: Vec<(InstrumentToken, i64)> = sim
        .state
        .market
        .snapshot_now()
        .quotes
        .iter()
        .filter(|q| {
            // Equities: NSE's cash segment (its indices stream prices but cannot be ordered).
            sim.state
                .universe
                .by_token(q.tick.token.0)
                .is_some_and(|i| i.is_tradable() && i.segment == "NSE")
        })
        .map(|q| (q.tick.token, q.tick.last_price.raw() / 100_000 * 100_000))
        .collect();
    equities.truncate(INSTRUMENTS);
    if equities.len() < INSTRUMENTS {
        return Err(format!(
            "the simulator lists {} NSE equities, not {INSTRUMENTS}",
            equities.len()
        ));
    }
    let level_raw = |start: i64, k: i64| -> i64 {
        // On the 5-paise grid (raw units are 1/10,000 of a rupee: 500 per tick).
        (start + start * STEP_BP * k / 10_000) / 500 * 500
    };
    for &(token, start) in &equities {
        if !sim.set_last_price(token.0, Price::from_raw(start)) {
            return Err(format!("the simulator does not trade {}", token.0));
        }
        for k in 1..=LEVELS_PER_INSTRUMENT {
            api.call(
                "levels/create",
                json!({ "draft": draft(token, Price::from_raw(level_raw(start, k)), k) }),
            )
            .await?;
        }
    }
    // Every instrument's first price after its levels: the monitor needs one before a crossing.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for &(token, start) in &equities {
        sim.set_last_price(token.0, Price::from_raw(start));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    let mut placements = control.placements();
    placements.mark_unchanged();
    let mut latency =
        Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).map_err(|e| e.to_string())?;
    // The same crossings split where the margin check's request arrives: before it, the
    // ticker, the level engine, the trigger's and the intent's commits and the gate; after it,
    // the margin round trip and the placement's request.
    let mut to_margin =
        Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).map_err(|e| e.to_string())?;
    let mut margin_to_order =
        Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).map_err(|e| e.to_string())?;
    let mut missing = 0u32;
    for k in 1..=CROSSED_PER_INSTRUMENT {
        for &(token, start) in &equities {
            let step = Instant::now();
            // Just past level k (and short of k + 1): one crossing.
            let past = level_raw(start, k) + 500;
            sim.set_last_price(token.0, Price::from_raw(past));
            match tokio::time::timeout(ORDER_WAIT, placements.changed()).await {
                Ok(Ok(())) => {
                    let arrived = (*placements.borrow_and_update()).ok_or("a placement time")?;
                    let sent = control.last_frame_sent().ok_or("a frame was sent")?;
                    let micros = arrived.saturating_duration_since(sent).as_micros() as u64;
                    latency.record(micros.max(1)).map_err(|e| e.to_string())?;
                    if let Some(margin) = control
                        .last_margin_request()
                        .filter(|m| *m >= sent && *m <= arrived)
                    {
                        let before = margin.duration_since(sent).as_micros() as u64;
                        let after = arrived.duration_since(margin).as_micros() as u64;
                        to_margin.record(before.max(1)).map_err(|e| e.to_string())?;
                        margin_to_order
                            .record(after.max(1))
                            .map_err(|e| e.to_string())?;
                    }
                }
                _ => missing += 1,
            }
            tokio::time::sleep(PACE.saturating_sub(step.elapsed())).await;
        }
    }

    // The manual ticket: the review step is the browser's; confirm is one call.
    let mut manual =
        Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).map_err(|e| e.to_string())?;
    let (token, _) = equities[0];
    for i in 0..MANUAL_ORDERS {
        placements.mark_unchanged();
        let sent = Instant::now();
        let placed = api
            .call(
                "orders/place",
                json!({ "ticket": ticket(token, i % 2 == 0) }),
            )
            .await?;
        // The call answers once the broker has: the placement has arrived by then.
        if !placements.has_changed().unwrap_or(false) {
            return Err(format!("a manual order reached no broker: {placed}"));
        }
        let arrived = placements.borrow_and_update().ok_or("a placement time")?;
        manual
            .record((arrived.saturating_duration_since(sent).as_micros() as u64).max(1))
            .map_err(|e| e.to_string())?;
        tokio::time::sleep(PACE.saturating_sub(sent.elapsed())).await;
    }

    shutdown.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
    println!(
        "{}",
        json!({
            "levels": LEVELS_PER_INSTRUMENT * INSTRUMENTS as i64,
            "pace_ms": PACE.as_millis() as u64,
            "instruments": INSTRUMENTS,
            "samples": latency.len(),
            "missing": missing,
            "p50_us": latency.value_at_quantile(0.50),
            "p99_us": latency.value_at_quantile(0.99),
            "p999_us": latency.value_at_quantile(0.999),
            "max_us": latency.max(),
            "split_samples": to_margin.len(),
            "to_margin_p50_us": to_margin.value_at_quantile(0.50),
            "to_margin_p99_us": to_margin.value_at_quantile(0.99),
            "margin_to_order_p50_us": margin_to_order.value_at_quantile(0.50),
            "margin_to_order_p99_us": margin_to_order.value_at_quantile(0.99),
            "manual_samples": manual.len(),
            "manual_p50_us": manual.value_at_quantile(0.50),
            "manual_p99_us": manual.value_at_quantile(0.99),
        })
    );
    Ok(())
}

/// Level `k` on the way up: a buy when odd, a sell when even, so each instrument's position
/// goes 1, 0, 1, 0 and the demo account's margin never runs out (all buys would exhaust it
/// after ~400 orders, and the risk gate would refuse the rest).
fn draft(token: InstrumentToken, price: Price, k: i64) -> Value {
    let side = if k % 2 == 1 { "buy" } else { "sell" };
    json!({
        "token": token.0, "price": price.to_string(), "trigger": "up", "on_up": side,
        "on_down": null, "quantity": "1", "product": "intraday", "limit_offset": "",
        "target": "", "stop_loss": "", "trailing_stop": "", "confirmation": "cross",
        "confirmation_value": "", "rearm": "once", "rearm_distance": "", "window_from": "",
        "window_to": "", "enabled": true, "note": "bench",
    })
}

/// A buy, then a sell, and so on: the account stays flat.
fn ticket(token: InstrumentToken, buy: bool) -> Value {
    let side = if buy { "buy" } else { "sell" };
    json!({
        "token": token.0, "side": side, "quantity": "1", "product": "intraday",
        "kind": "market", "price": "", "trigger": "",
    })
}

/// The app's server functions, as a signed-in browser calls them.
struct Api {
    client: reqwest::Client,
    base: String,
}

impl Api {
    async fn signed_in(addr: std::net::SocketAddr) -> Result<Self, Failure> {
        let base = format!("http://{addr}");
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::ORIGIN,
            base.parse().map_err(|_| "an origin")?,
        );
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .default_headers(headers)
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        let setup = client
            .post(format!("{base}/api/auth/setup"))
            .form(&[
                ("username", "bench"),
                ("password", "correct horse battery staple"),
            ])
            .send()
            .await
            .map_err(|e| format!("setup: {e}"))?;
        if !setup.status().is_success() && !setup.status().is_redirection() {
            return Err(format!("setup: {}", setup.status()));
        }
        Ok(Self { client, base })
    }

    async fn call(&self, endpoint: &str, body: Value) -> Result<Value, Failure> {
        let response = self
            .client
            .post(format!("{}/api/{endpoint}", self.base))
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("{endpoint}: {e}"))?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .map_err(|e| format!("{endpoint}: {e}"))?;
        if !status.is_success() {
            return Err(format!("{endpoint}: {status} {body}"));
        }
        Ok(body)
    }
}
