//! Fan-out load tool (a benchmark, not a test): N websocket clients on loopback, each following
//! K of M instruments, while ticks are published at R per second. The server side — the real
//! `/ws/prices` handler, the price service, the in-process bus and the subscription manager —
//! runs in a child process, so its CPU time and memory are measured apart from the clients'.
//! Latency is publish → the client has decoded the batch, from the tick's own timestamp (both
//! processes read the same clock); it includes the pacing wait, since a tick waits in its
//! client's conflating inbox until the next batch is due.
//!
//! ```sh
//! cargo bench -p server --bench price_fanout                     # 1000 clients, 3000 ticks/s
//! FANOUT_CLIENTS=200 FANOUT_RATE=50 cargo bench -p server --bench price_fanout
//! ```
//! Knobs (environment): FANOUT_CLIENTS (1000), FANOUT_INSTRUMENTS (3000), FANOUT_PER_CLIENT
//! (50), FANOUT_TICKS_PER_SECOND (3000), FANOUT_RATE (4 batches/s per client), FANOUT_SECONDS
//! (20). Loopback only; it stops by itself.
//!
//! `FANOUT_PEER=socketio FANOUT_PEER_DIR=<site-packages>` drives the seed's stack instead with
//! the same clients and load: `scripts/bench/socketio_fanout.py`, a Flask-SocketIO server that
//! emits each tick to its instrument's room (clients speak Socket.IO over websocket: join with
//! `follow`, answer its pings). `scripts/bench.sh` runs both side by side. The last line printed
//! is `FANOUT_JSON {...}`, the figures for the bench's table.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::live::{ClientMessage, ServerMessage};
use async_trait::async_trait;
use futures::{SinkExt, StreamExt};
use osp_core::model::{Candle, FeedChange, InstrumentToken, Ohlc, Price, Tick};
use osp_core::ports::{Clock, HistoricalPrices, MarketFeed, TickBus};
use osp_core::services::prices::{FeedSubscriptions, PriceService};
use osp_server::bus::InProcessBus;
use osp_server::clock::SystemClock;
use osp_server::websocket::prices::PriceStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

fn knob(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn now_ms() -> i64 {
    SystemClock.now_ms()
}

/// A small deterministic generator (no dependency needed for a load shape).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is expected.
    if std::env::var("FANOUT_ROLE").as_deref() == Ok("server") {
        serve();
    } else {
        drive();
    }
}

// ---------------------------------------------------------------- the server (child) side

struct NoFeed;
impl MarketFeed for NoFeed {
    fn apply(&self, _: FeedChange) {}
    fn capacity(&self) -> usize {
        9_000
    }
}

struct NoHistory;
#[async_trait]
impl HistoricalPrices for NoHistory {
    async fn minute_candles(
        &self,
        _: InstrumentToken,
        _: i64,
        _: i64,
    ) -> Result<Vec<Candle>, String> {
        Ok(Vec::new())
    }
}

/// (user + system CPU ms, RSS KiB, peak RSS KiB) of this process.
fn usage() -> (u64, u64, u64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // utime and stime are fields 14 and 15 (1-based), in clock ticks (100 per second).
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let cpu_ms = (ticks(11) + ticks(12)) * 10;
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (cpu_ms, kib("VmRSS:"), kib("VmHWM:"))
}

fn serve() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let instruments = knob("FANOUT_INSTRUMENTS", 3_000) as u32;
        let per_second = knob("FANOUT_TICKS_PER_SECOND", 3_000);
        let rate = knob("FANOUT_RATE", 4).max(1);
        let bus = Arc::new(InProcessBus::new());
        let prices = Arc::new(PriceService::new(
            bus.clone() as Arc<dyn TickBus>,
            Arc::new(NoHistory),
        ));
        let shutdown = CancellationToken::new();
        let stream = PriceStream {
            bus: bus.clone(),
            prices: prices.clone(),
            subscriptions: Arc::new(FeedSubscriptions::new(Arc::new(NoFeed))),
            min_interval: Duration::from_millis(1_000 / rate),
            activity: osp_server::websocket::activity::ActivityPush::silent(),
            shutdown: shutdown.clone(),
            catalog: Default::default(),
            sockets: Default::default(),
        };
        // Each benchmark client a user of its own (the limit is per user), with no session to
        // ask after.
        let next_user = Arc::new(std::sync::atomic::AtomicI64::new(1));
        let router = axum::Router::new().route(
            "/ws/prices",
            axum::routing::get(move |ws: axum::extract::ws::WebSocketUpgrade| async move {
                let user = next_user.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                stream.clone().upgrade(ws, user, None)
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        println!("PORT {}", listener.local_addr().expect("addr").port());
        tokio::spawn(async move { axum::serve(listener, router).await });

        // Publish `per_second` ticks a second, in 100 slices, round-robin over the instruments.
        let mut rng = Lcg(7);
        let mut last: Vec<i64> = (0..instruments)
            .map(|_| 1_000_000 + (rng.next() % 50_000_000) as i64)
            .collect();
        let mut next = 0u32;
        let mut interval = tokio::time::interval(Duration::from_millis(10));
        let mut reported = Instant::now();
        let mut carry = 0u64;
        loop {
            interval.tick().await;
            carry += per_second;
            let count = carry / 100;
            carry %= 100;
            let now = now_ms();
            let ticks: Vec<Tick> = (0..count)
                .map(|_| {
                    let i = next as usize;
                    next = (next + 1) % instruments;
                    last[i] += (rng.next() % 21) as i64 * 500 - 5_000;
                    let price = Price::from_raw(last[i].max(500));
                    Tick {
                        token: InstrumentToken(i as u32 + 1),
                        last_price: price,
                        last_quantity: 1,
                        volume: 0,
                        ohlc: Ohlc {
                            open: price,
                            high: price,
                            low: price,
                            close: price,
                        },
                        exchange_time_ms: now,
                        depth: None,
                    }
                })
                .collect();
            prices.on_ticks(ticks, now);
            if reported.elapsed() >= Duration::from_secs(1) {
                reported = Instant::now();
                let (cpu, rss, hwm) = usage();
                println!("USAGE {cpu} {rss} {hwm} {}", bus.subscribers());
            }
        }
    });
}

// ---------------------------------------------------------------- the clients (parent) side

#[derive(Default)]
struct Seen {
    batches: u64,
    ticks: u64,
    latencies_ms: Vec<u32>,
}

/// Which server the clients load.
#[derive(Clone, Copy, PartialEq)]
enum Peer {
    /// Ours: the real `/ws/prices` in a child process of this bench.
    Ours,
    /// The seed's: Flask-SocketIO, `scripts/bench/socketio_fanout.py`.
    SocketIo,
}

/// A Socket.IO event's tick: only its timestamp is read.
#[derive(serde::Deserialize)]
struct PeerTick {
    exchange_time_ms: i64,
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects one client and follows `tokens`; the server may still be starting (a few tries).
async fn connect(peer: Peer, port: u16, tokens: Vec<InstrumentToken>) -> Socket {
    let url = match peer {
        Peer::Ours => format!("ws://127.0.0.1:{port}/ws/prices"),
        Peer::SocketIo => format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"),
    };
    let mut tries = 0;
    let mut ws = loop {
        match tokio_tungstenite::connect_async(&url).await {
            Ok((ws, _)) => break ws,
            Err(_) if tries < 100 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("could not connect to {url}: {e}"),
        }
    };
    match peer {
        Peer::Ours => {
            let follow = serde_json::to_string(&ClientMessage::Follow { tokens }).unwrap();
            ws.send(Message::Text(follow.into())).await.expect("follow");
        }
        Peer::SocketIo => {
            // Engine.IO's open packet, then the Socket.IO namespace connect and its answer.
            let open = ws.next().await.expect("open").expect("open");
            assert!(
                open.to_text().unwrap_or("").starts_with('0'),
                "not Engine.IO: {open:?}"
            );
            ws.send(Message::Text("40".into())).await.expect("connect");
            loop {
                let m = ws.next().await.expect("connected").expect("connected");
                if m.to_text().unwrap_or("").starts_with("40") {
                    break;
                }
            }
            let tokens: Vec<u32> = tokens.iter().map(|t| t.0).collect();
            let follow = format!("42{}", serde_json::json!(["follow", tokens]));
            ws.send(Message::Text(follow.into())).await.expect("follow");
        }
    }
    ws
}

/// The publish times of the ticks in one message (none for anything else); a Socket.IO ping is
/// answered here.
async fn tick_times(peer: Peer, ws: &mut Socket, text: &str) -> Vec<i64> {
    match peer {
        Peer::Ours => match serde_json::from_str(text) {
            Ok(ServerMessage::Ticks { ticks }) => {
                ticks.iter().map(|t| t.exchange_time_ms).collect()
            }
            _ => Vec::new(),
        },
        Peer::SocketIo => {
            if text == "2" {
                let _ = ws.send(Message::Text("3".into())).await;
                return Vec::new();
            }
            match text
                .strip_prefix("42")
                .map(serde_json::from_str::<(String, PeerTick)>)
            {
                Some(Ok((_, tick))) => vec![tick.exchange_time_ms],
                _ => Vec::new(),
            }
        }
    }
}

fn drive() {
    let peer = match std::env::var("FANOUT_PEER").as_deref() {
        Ok("socketio") => Peer::SocketIo,
        Ok("") | Ok("ours") | Err(_) => Peer::Ours,
        Ok(other) => panic!("FANOUT_PEER is ours or socketio, not {other}"),
    };
    let clients = knob("FANOUT_CLIENTS", 1_000);
    let instruments = knob("FANOUT_INSTRUMENTS", 3_000) as u32;
    let per_client = knob("FANOUT_PER_CLIENT", 50) as usize;
    let seconds = knob("FANOUT_SECONDS", 20);
    let mut command = match peer {
        Peer::Ours => {
            let mut c = Command::new(std::env::current_exe().expect("own path"));
            c.env("FANOUT_ROLE", "server");
            c
        }
        Peer::SocketIo => {
            let dir = std::env::var("FANOUT_PEER_DIR")
                .expect("FANOUT_PEER_DIR: where Flask-SocketIO is installed (scripts/bench.sh)");
            let mut c = Command::new("python3");
            c.arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../scripts/bench/socketio_fanout.py"
            ))
            .env("PYTHONPATH", dir);
            c
        }
    };
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the server process");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let port: u16 = loop {
        let line = lines.next().expect("server output").expect("a line");
        if let Some(p) = line.strip_prefix("PORT ") {
            break p.parse().expect("a port");
        }
    };
    // The server's usage lines, newest last.
    let usage = Arc::new(std::sync::Mutex::new(Vec::<(u64, u64, u64, u64)>::new()));
    {
        let usage = usage.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let v: Vec<u64> = line
                    .strip_prefix("USAGE ")
                    .map(|r| r.split(' ').filter_map(|f| f.parse().ok()).collect())
                    .unwrap_or_default();
                if v.len() == 4 {
                    usage.lock().unwrap().push((v[0], v[1], v[2], v[3]));
                }
            }
        });
    }

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let results = runtime.block_on(async move {
        let measuring = CancellationToken::new();
        let stop = CancellationToken::new();
        let mut tasks = Vec::new();
        let connect_started = Instant::now();
        // Ticks each client should receive a second: its distinct instruments' share of the
        // round-robin publisher.
        let mut followed = 0u64;
        for c in 0..clients {
            let mut rng = Lcg(c + 1);
            let tokens: Vec<InstrumentToken> = (0..per_client)
                .map(|_| InstrumentToken((rng.next() % u64::from(instruments)) as u32 + 1))
                .collect();
            followed += tokens
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
                .len() as u64;
            let mut ws = connect(peer, port, tokens).await;
            let (measuring, stop) = (measuring.clone(), stop.clone());
            tasks.push(tokio::spawn(async move {
                let mut seen = Seen::default();
                loop {
                    let message = tokio::select! {
                        m = ws.next() => m,
                        _ = stop.cancelled() => break,
                    };
                    let Some(Ok(Message::Text(text))) = message else {
                        if matches!(message, None | Some(Err(_))) {
                            break;
                        }
                        continue;
                    };
                    let times = tick_times(peer, &mut ws, &text).await;
                    if times.is_empty() || !measuring.is_cancelled() {
                        continue;
                    }
                    let now = now_ms();
                    seen.batches += 1;
                    seen.ticks += times.len() as u64;
                    seen.latencies_ms
                        .extend(times.iter().map(|t| (now - t).max(0) as u32));
                }
                seen
            }));
        }
        let connect_time = connect_started.elapsed();
        tokio::time::sleep(Duration::from_secs(2)).await;
        measuring.cancel();
        let started = Instant::now();
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        stop.cancel();
        let elapsed = started.elapsed();
        let mut total = Seen::default();
        for task in tasks {
            let seen = task.await.expect("client task");
            total.batches += seen.batches;
            total.ticks += seen.ticks;
            total.latencies_ms.extend(seen.latencies_ms);
        }
        (total, elapsed, connect_time, followed)
    });
    let (mut total, elapsed, connect_time, followed) = results;
    let samples = usage.lock().unwrap().clone();
    let _ = child.kill();
    let _ = child.wait();

    total.latencies_ms.sort_unstable();
    let pct = |p: f64| {
        total
            .latencies_ms
            .get(((total.latencies_ms.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or(0)
    };
    let secs = elapsed.as_secs_f64();
    // The last `seconds` of usage samples cover the measured window.
    let window = samples.len().saturating_sub(seconds as usize + 1);
    let (cpu0, _, _, _) = samples.get(window).copied().unwrap_or_default();
    let (cpu1, rss, hwm, subscribers) = samples.last().copied().unwrap_or_default();
    let measured = (samples.len() - window).saturating_sub(1).max(1) as f64;
    let per_second = knob("FANOUT_TICKS_PER_SECOND", 3_000);
    let expected = followed as f64 * per_second as f64 / f64::from(instruments);
    let cpu_percent = (cpu1 - cpu0) as f64 / (measured * 10.0);
    println!(
        "price fan-out on loopback: {}",
        match peer {
            Peer::Ours => "ours (/ws/prices)",
            Peer::SocketIo => "Flask-SocketIO (scripts/bench/socketio_fanout.py)",
        }
    );
    let pacing = match peer {
        Peer::Ours => format!("{} batches/s per client at most", knob("FANOUT_RATE", 4)),
        Peer::SocketIo => "one message per tick".to_owned(),
    };
    println!(
        "  clients {clients}, instruments {instruments}, {per_client} per client, {per_second} ticks/s published, {pacing}"
    );
    println!(
        "  connected and followed in {:.1} s; {subscribers} clients at the server",
        connect_time.as_secs_f64()
    );
    println!(
        "  delivered {:.0} batches/s, {:.0} ticks/s to all clients over {secs:.1} s",
        total.batches as f64 / secs,
        total.ticks as f64 / secs
    );
    println!(
        "  latency publish → decoded: p50 {} ms, p99 {} ms, max {} ms",
        pct(0.50),
        pct(0.99),
        pct(1.0)
    );
    println!(
        "  server CPU {cpu_percent:.0}% of one core; RSS {} MiB (peak {} MiB)",
        rss / 1024,
        hwm / 1024
    );
    println!(
        "FANOUT_JSON {}",
        serde_json::json!({
            "peer": if peer == Peer::Ours { "ours" } else { "socketio" },
            "clients": clients,
            "ticks_per_second": per_second,
            // Ours paces each client; theirs sends a message per tick.
            "batches_per_second": (peer == Peer::Ours).then(|| knob("FANOUT_RATE", 4)),
            "delivered_per_second": total.ticks as f64 / secs,
            "expected_per_second": expected,
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "p999_ms": pct(0.999),
            "max_ms": pct(1.0),
            "cpu_percent": cpu_percent,
            "rss_mib": rss / 1024,
            "connect_seconds": connect_time.as_secs_f64(),
        })
    );
}
