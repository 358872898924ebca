//! `RedisBus`: the event bus between server processes, on Redis pub/sub — used when the web
//! side (`osp serve --no-workers`) and the workers (`osp workers`) run apart
//! (`OSP__BUS__URL=redis://…`). Six channels, named here as with the default `bus.prefix`
//! (`osp`; another prefix lets a second installation share the Redis unheard):
//!
//! - `osp:ticks`: the process holding Kite's ticker relays every tick batch it publishes on its
//!   in-process bus (`relay_ticks`); the web processes feed them to their price service
//!   (`spawn_tick_source`), which fans them out to their browsers like any tick.
//! - `osp:changes`: what a process changed in the store that others keep in memory (levels,
//!   alerts, risk, orders to send, the Kite session, the instruments, new activity) —
//!   `ChangeNotifier`; `changes()` hears the other processes' announcements.
//! - `osp:interests`: which instruments a web process's pages follow (`RelayedFeed`, sent on
//!   every change and every few seconds); the ticker's process subscribes their union
//!   (`follow_interests`) and lets a silent process's go.
//! - `osp:status`: every `osp workers` (and `osp serve` on a bus) says every 2 s where it listens,
//!   its workers' states and, where its ticker is the connected one, the feed's figures; web
//!   processes show them (`peers`, `RemoteWorkers`, `RemoteFeed`).
//! - `osp:control`: an admin's "restart this worker" for the process that runs it.
//! - `osp:orders`: the order updates a web process takes from Kite's postbacks
//!   (`relay_orders`), for the workers' trading engine (`spawn_order_source`).
//!
//! Publishing never waits: messages go through a bounded queue to one publishing task on a
//! reconnecting connection; a full queue drops the message (counted) rather than slowing a
//! tick. A lost subscription reconnects with back-off, and on reconnecting announces every
//! kind of change locally, so what was missed meanwhile is read again.
//!
//! Over 500 lines: the six channels share one connection manager, one reconnect loop and
//! one envelope codec; split, each would need all three.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use futures::StreamExt;
use osp_core::model::{
    BrokerOrder, BusPeer, BusStatus, FeedChange, FeedFigures, FeedMode, InstrumentToken, LevelId,
    StateChange, Tick, WorkerPhase, WorkerState,
};
use osp_core::ports::{
    ChangeNotifier, Clock, FeedStats, Interest, LevelsLive, MarketFeed, TickBus, WorkerControl,
    WorkersPresence,
};
use osp_core::services::prices::{FeedSubscriptions, PriceService};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

/// The six channels. On Redis each is named `{bus.prefix}:{suffix}` — `osp:ticks` and so on
/// unless `bus.prefix` says otherwise, so two installations can share one Redis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Channel {
    Ticks,
    Changes,
    Interests,
    Status,
    Control,
    Orders,
}

const TICKS: Channel = Channel::Ticks;
const CHANGES: Channel = Channel::Changes;
const INTERESTS: Channel = Channel::Interests;
const STATUS: Channel = Channel::Status;
const CONTROL: Channel = Channel::Control;
const ORDERS: Channel = Channel::Orders;

impl Channel {
    const ALL: [Channel; 6] = [TICKS, CHANGES, INTERESTS, STATUS, CONTROL, ORDERS];

    /// Its name after the prefix; also its label in the metrics.
    fn suffix(self) -> &'static str {
        match self {
            Channel::Ticks => "ticks",
            Channel::Changes => "changes",
            Channel::Interests => "interests",
            Channel::Status => "status",
            Channel::Control => "control",
            Channel::Orders => "orders",
        }
    }
}

/// The channels' names on Redis for `prefix`, in `Channel::ALL`'s order.
fn channel_names(prefix: &str) -> [String; 6] {
    Channel::ALL.map(|c| format!("{prefix}:{}", c.suffix()))
}

/// How often a process with workers says how they stand, and how long it counts as alive
/// after that.
pub const STATUS_EVERY: Duration = Duration::from_secs(2);
const PEER_EXPIRES: Duration = Duration::from_secs(10);
/// Messages waiting for the publishing task; beyond this they are dropped (and counted).
const OUTBOX: usize = 4096;
/// How often a web process repeats what it follows, and how long the ticker's process keeps
/// a process's instruments after hearing from it last.
pub const INTEREST_EVERY: Duration = Duration::from_secs(5);
const INTEREST_EXPIRES: Duration = Duration::from_secs(20);
/// How long a lost subscription waits before reconnecting, at most.
const RECONNECT_CEILING: Duration = Duration::from_secs(10);

#[derive(Serialize, Deserialize)]
struct TickMessage {
    from: String,
    ticks: Vec<Tick>,
}

#[derive(Serialize, Deserialize)]
struct ChangeMessage {
    from: String,
    what: StateChange,
}

#[derive(Serialize, Deserialize)]
struct OrderMessage {
    from: String,
    order: BrokerOrder,
}

#[derive(Serialize, Deserialize)]
struct InterestMessage {
    from: String,
    follows: Vec<(InstrumentToken, FeedMode)>,
}

/// What a process with workers says of itself on `osp:status`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PeerStatus {
    pub from: String,
    /// Where it listens (its /health).
    pub label: String,
    pub role: String,
    pub workers: Vec<WorkerState>,
    /// The feed's figures, where this process's ticker is the connected one.
    pub feed: Option<FeedFigures>,
    /// The levels whose crossing its trader is confirming now (the lease holder's).
    #[serde(default)]
    pub confirming: Vec<LevelId>,
}

/// Where a process with workers reads what it says of itself on `osp:status`.
pub struct StatusSources {
    pub workers: Arc<dyn WorkerControl>,
    pub feed: Arc<dyn FeedStats>,
    /// Whether this process's ticker is the connected one (its feed's figures go out).
    pub feed_open: Arc<dyn Fn() -> bool + Send + Sync>,
    /// The levels its trader is confirming now.
    pub confirming: Arc<dyn Fn() -> Vec<LevelId> + Send + Sync>,
}

#[derive(Serialize, Deserialize)]
struct ControlMessage {
    /// The `label` of the process asked.
    to: String,
    restart: String,
}

/// What the System page and `/ready` show of the bus.
#[derive(Clone, Debug, Serialize)]
pub struct BusFigures {
    /// `redis://host:port` without credentials.
    pub address: String,
    pub process: String,
    pub connected: bool,
    pub last_error: Option<String>,
    pub published: u64,
    pub received: u64,
    pub dropped: u64,
}

pub struct RedisBus {
    client: redis::Client,
    address: String,
    /// This process, as its messages name it (its own announcements are not heard back).
    process: String,
    /// How this process's tick batches begin on the wire.
    own_ticks: String,
    outbox: mpsc::Sender<(Channel, Vec<u8>)>,
    /// The channels' names on Redis (`bus.prefix`), in `Channel::ALL`'s order.
    channels: [String; 6],
    changes: broadcast::Sender<StateChange>,
    ticks: broadcast::Sender<Vec<Tick>>,
    interests: broadcast::Sender<(String, Vec<(InstrumentToken, FeedMode)>)>,
    /// The other processes heard on `osp:status`, by process, with when.
    peers: Mutex<HashMap<String, (tokio::time::Instant, i64, PeerStatus)>>,
    /// Woken each time a status is heard (`wait_for_workers`).
    heard: tokio::sync::Notify,
    /// "Restart worker X" addressed to this process (by its label).
    restarts: broadcast::Sender<String>,
    /// Order updates a web process took from Kite's postbacks, for the workers' engine.
    orders: broadcast::Sender<BrokerOrder>,
    /// Where this process listens, as `osp:status` and `osp:control` name it.
    label: Mutex<String>,
    connected: AtomicBool,
    last_error: Mutex<Option<String>>,
    published: AtomicU64,
    received: AtomicU64,
    dropped: AtomicU64,
}

/// `redis://user:secret@host:port/db` → `redis://host:port/db`, for logs and pages.
fn without_credentials(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
            format!("{scheme}://{rest}")
        }
        None => url.to_owned(),
    }
}

/// `connecting`, given 5 s, its failure said with the address and what to do.
async fn reach<T>(
    address: &str,
    connecting: impl std::future::Future<Output = redis::RedisResult<T>>,
) -> anyhow::Result<T> {
    tokio::time::timeout(Duration::from_secs(5), connecting)
        .await
        .map_err(|_| anyhow::anyhow!("Redis at {address} did not answer within 5 s"))?
        .with_context(|| {
            format!("cannot reach Redis at {address} (bus.url): start it, or unset OSP__BUS__URL to run in one process")
        })
}

impl RedisBus {
    /// Connects to `url` (checked with a PING, so a wrong address fails start-up with the
    /// reason) and starts the publishing and subscribing tasks; both stop with `shutdown`.
    /// A `rediss://` address speaks TLS, trusting the system's certificate authorities, or only
    /// the one in `ca_file` (PEM) when given. Its channels are named `{prefix}:…` (`bus.prefix`):
    /// processes on another prefix are another installation, unheard.
    pub async fn connect(
        url: &str,
        ca_file: Option<&std::path::Path>,
        prefix: &str,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Arc<RedisBus>> {
        let address = without_credentials(url);
        let not_an_address = || {
            format!(
                "bus.url {address} is not a Redis address: write redis://HOST:PORT, or \
                 rediss://HOST:PORT for TLS"
            )
        };
        let client = match ca_file {
            Some(file) => {
                let pem = std::fs::read(file)
                    .with_context(|| format!("reading bus.ca_file {}", file.display()))?;
                let certificates = redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(pem),
                };
                redis::Client::build_with_tls(url, certificates).with_context(not_an_address)?
            }
            None => redis::Client::open(url).with_context(not_an_address)?,
        };
        // One plain connection first: the connection manager retries a refused handshake (an
        // untrusted certificate, say) until the timeout, which would hide the reason.
        reach(&address, client.get_multiplexed_async_connection()).await?;
        let manager = reach(&address, client.get_connection_manager()).await?;
        let (outbox, queued) = mpsc::channel(OUTBOX);
        let process = format!(
            "{}-{}",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let bus = Arc::new(RedisBus {
            client,
            address,
            channels: channel_names(prefix),
            own_ticks: format!("{{\"from\":{}", serde_json::Value::from(process.as_str())),
            process,
            outbox,
            changes: broadcast::channel(256).0,
            ticks: broadcast::channel(1024).0,
            interests: broadcast::channel(256).0,
            peers: Mutex::new(HashMap::new()),
            heard: tokio::sync::Notify::new(),
            restarts: broadcast::channel(16).0,
            orders: broadcast::channel(256).0,
            label: Mutex::new(String::new()),
            connected: AtomicBool::new(false),
            last_error: Mutex::new(None),
            published: AtomicU64::new(0),
            received: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        });
        tokio::spawn(
            bus.clone()
                .publish_queued(manager, queued, shutdown.clone()),
        );
        tokio::spawn(bus.clone().listen(shutdown));
        Ok(bus)
    }

    pub fn process(&self) -> &str {
        &self.process
    }

    pub fn figures(&self) -> BusFigures {
        BusFigures {
            address: self.address.clone(),
            process: self.process.clone(),
            connected: self.connected.load(Ordering::Relaxed),
            last_error: self
                .last_error
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
            published: self.published.load(Ordering::Relaxed),
            received: self.received.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
        }
    }

    /// Waits until the subscription stands (start-up, tests), at most `timeout`.
    pub async fn wait_connected(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while !self.connected.load(Ordering::Relaxed) {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }

    /// The other processes' announcements, from now on.
    pub fn changes(&self) -> broadcast::Receiver<StateChange> {
        self.changes.subscribe()
    }

    fn send(&self, channel: Channel, payload: Vec<u8>) {
        if self.outbox.try_send((channel, payload)).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("osp_bus_dropped_total", "channel" => channel.suffix()).increment(1);
        }
    }

    /// `channel`'s name on Redis.
    fn name_of(&self, channel: Channel) -> &str {
        &self.channels[channel as usize]
    }

    /// Which of this installation's channels `name` is (none: another installation's).
    fn channel_named(&self, name: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| self.name_of(*c) == name)
    }

    fn note_error(&self, error: String) {
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(error);
    }

    async fn publish_queued(
        self: Arc<Self>,
        mut manager: redis::aio::ConnectionManager,
        mut queued: mpsc::Receiver<(Channel, Vec<u8>)>,
        shutdown: CancellationToken,
    ) {
        loop {
            let (channel, payload) = tokio::select! {
                _ = shutdown.cancelled() => return,
                next = queued.recv() => match next {
                    Some(message) => message,
                    None => return,
                },
            };
            let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH")
                .arg(self.name_of(channel))
                .arg(payload)
                .query_async(&mut manager)
                .await;
            match sent {
                Ok(_) => {
                    self.published.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!("osp_bus_published_total", "channel" => channel.suffix())
                        .increment(1);
                }
                Err(e) => {
                    // The manager reconnects by itself; this message is lost.
                    self.dropped.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(error = %e, channel = self.name_of(channel), "a bus message could not be published");
                    self.note_error(format!("publishing: {e}"));
                }
            }
        }
    }

    /// Subscribes to every channel and hands what arrives to its listeners; reconnects with
    /// back-off when Redis goes away.
    async fn listen(self: Arc<Self>, shutdown: CancellationToken) {
        let mut wait = Duration::from_millis(200);
        let mut first = true;
        loop {
            let result = tokio::select! {
                _ = shutdown.cancelled() => return,
                result = self.listen_once(&mut first) => result,
            };
            // A connection that was up starts its back-off afresh: the next outage is met at
            // once, not at the last one's ceiling.
            if self.connected.swap(false, Ordering::Relaxed) {
                wait = Duration::from_millis(200);
            }
            let reason = match result {
                Ok(()) => "the subscription ended".to_owned(),
                Err(e) => e.to_string(),
            };
            tracing::warn!(reason, address = %self.address, "lost the bus; reconnecting");
            self.note_error(reason);
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            wait = (wait * 2).min(RECONNECT_CEILING);
        }
    }

    async fn listen_once(&self, first: &mut bool) -> redis::RedisResult<()> {
        let mut pubsub = self.client.get_async_pubsub().await?;
        pubsub.subscribe(&self.channels[..]).await?;
        self.connected.store(true, Ordering::Relaxed);
        if !std::mem::take(first) {
            // Announcements may have been missed while disconnected: everything is read again.
            for what in StateChange::ALL {
                let _ = self.changes.send(what);
            }
        }
        let mut messages = pubsub.into_on_message();
        while let Some(message) = messages.next().await {
            self.received.fetch_add(1, Ordering::Relaxed);
            let payload = message.get_payload_bytes();
            match self.channel_named(message.get_channel_name()) {
                // Read only where someone listens (web processes; the ticker's own are local).
                // Its own relayed batches are skipped unread (`from` is serialized first).
                Some(TICKS) if payload.starts_with(self.own_ticks.as_bytes()) => {}
                Some(TICKS) if self.ticks.receiver_count() > 0 => {
                    match serde_json::from_slice::<TickMessage>(payload) {
                        // The relaying process's own come back too: not read twice.
                        Ok(message) if message.from != self.process => {
                            let _ = self.ticks.send(message.ticks);
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "a tick batch on the bus could not be read")
                        }
                    }
                }
                Some(CHANGES) => match serde_json::from_slice::<ChangeMessage>(payload) {
                    Ok(change) if change.from != self.process => {
                        let _ = self.changes.send(change.what);
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "a change on the bus could not be read"),
                },
                Some(STATUS) => match serde_json::from_slice::<PeerStatus>(payload) {
                    Ok(peer) if peer.from != self.process => {
                        let heard_ms = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .map_or(0, |d| d.as_millis() as i64);
                        self.peers.lock().unwrap_or_else(|p| p.into_inner()).insert(
                            peer.from.clone(),
                            (tokio::time::Instant::now(), heard_ms, peer),
                        );
                        self.heard.notify_waiters();
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "a status on the bus could not be read"),
                },
                Some(CONTROL) => match serde_json::from_slice::<ControlMessage>(payload) {
                    Ok(control)
                        if control.to == *self.label.lock().unwrap_or_else(|p| p.into_inner()) =>
                    {
                        tracing::info!(worker = %control.restart, "an admin asked over the bus to restart a worker here");
                        let _ = self.restarts.send(control.restart);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "a control message on the bus could not be read")
                    }
                },
                Some(ORDERS) => match serde_json::from_slice::<OrderMessage>(payload) {
                    Ok(update) if update.from != self.process => {
                        let _ = self.orders.send(update.order);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "an order update on the bus could not be read")
                    }
                },
                Some(INTERESTS) => match serde_json::from_slice::<InterestMessage>(payload) {
                    Ok(interest) if interest.from != self.process => {
                        let _ = self.interests.send((interest.from, interest.follows));
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "interests on the bus could not be read"),
                },
                _ => {}
            }
        }
        Ok(())
    }

    /// In the process holding the ticker: every batch published on `bus` goes out on
    /// `osp:ticks` (conflated by the bus's inbox while the outbox is busy) — while `when()`
    /// says this process's ticker is the one connected (a standby relays nothing).
    pub fn relay_ticks(
        self: &Arc<Self>,
        bus: Arc<dyn TickBus>,
        when: Arc<dyn Fn() -> bool + Send + Sync>,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let inbox = bus.subscribe(Interest::All);
            loop {
                let batch = tokio::select! {
                    _ = shutdown.cancelled() => return,
                    batch = inbox.next_batch() => match batch {
                        Some(batch) => batch,
                        None => return,
                    },
                };
                if !when() {
                    continue;
                }
                let message = TickMessage {
                    from: this.process.clone(),
                    ticks: batch,
                };
                match serde_json::to_vec(&message) {
                    Ok(payload) => this.send(TICKS, payload),
                    Err(e) => tracing::error!(error = %e, "a tick batch could not be encoded"),
                }
            }
        })
    }

    /// In a process without a connected ticker (a web process; a standby `osp workers`, while
    /// `when()` says so): the ticks from `osp:ticks` feed `prices` (latest, candles, and this
    /// process's bus to its browsers and monitors).
    pub fn spawn_tick_source(
        self: &Arc<Self>,
        prices: Arc<PriceService>,
        clock: Arc<dyn Clock>,
        when: Arc<dyn Fn() -> bool + Send + Sync>,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let mut ticks = self.ticks.subscribe();
        tokio::spawn(async move {
            loop {
                let batch = tokio::select! {
                    _ = shutdown.cancelled() => return,
                    batch = ticks.recv() => batch,
                };
                match batch {
                    Ok(batch) if when() => {
                        prices.on_ticks(batch, clock.now_ms());
                    }
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(
                            missed,
                            "tick batches from the bus arrived faster than they were read"
                        );
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        })
    }

    /// In a web process apart: every order update it takes from Kite (a postback, checked and
    /// read back from Kite) goes to the workers on `osp:orders` — its own process has no
    /// engine to apply it.
    pub fn relay_orders(
        self: &Arc<Self>,
        mut updates: broadcast::Receiver<BrokerOrder>,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                let order = tokio::select! {
                    _ = shutdown.cancelled() => return,
                    order = updates.recv() => match order {
                        Ok(order) => order,
                        // The order book is the record; reconciliation reads it.
                        Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                };
                let message = OrderMessage {
                    from: this.process.clone(),
                    order,
                };
                match serde_json::to_vec(&message) {
                    Ok(payload) => this.send(ORDERS, payload),
                    Err(e) => tracing::error!(error = %e, "an order update could not be encoded"),
                }
            }
        })
    }

    /// In a process with workers: the order updates web processes relayed go to `updates`, where
    /// the trading engine takes them like the ticker's (applying one twice changes nothing).
    pub fn spawn_order_source(
        self: &Arc<Self>,
        updates: broadcast::Sender<BrokerOrder>,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let mut heard = self.orders.subscribe();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    order = heard.recv() => match order {
                        Ok(order) => {
                            // No subscriber (a standby's engine is not running) is fine.
                            let _ = updates.send(order);
                        }
                        Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                }
            }
        })
    }

    /// In the process holding the ticker: what each web process follows is subscribed under
    /// its own owner (`web:<process>`), and released once the process has been silent for
    /// `INTEREST_EXPIRES`.
    pub fn follow_interests(
        self: &Arc<Self>,
        subscriptions: Arc<FeedSubscriptions>,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let mut heard = self.interests.subscribe();
        tokio::spawn(async move {
            let mut last_heard: HashMap<String, tokio::time::Instant> = HashMap::new();
            let mut sweep = tokio::time::interval(INTEREST_EVERY);
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    message = heard.recv() => match message {
                        Ok((from, follows)) => {
                            last_heard.insert(from.clone(), tokio::time::Instant::now());
                            apply_interest(&subscriptions, &from, &follows);
                        }
                        Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                    _ = sweep.tick() => {
                        let now = tokio::time::Instant::now();
                        last_heard.retain(|from, at| {
                            let alive = now.duration_since(*at) < INTEREST_EXPIRES;
                            if !alive {
                                tracing::info!(process = %from, "a web process went silent; its instruments are let go");
                                for mode in FeedMode::ALL {
                                    subscriptions.release(&interest_owner(from, mode));
                                }
                            }
                            alive
                        });
                    }
                }
            }
        })
    }
}

impl RedisBus {
    /// The processes with workers heard in the last `PEER_EXPIRES`.
    pub fn peers(&self) -> Vec<(i64, PeerStatus)> {
        let now = tokio::time::Instant::now();
        let mut peers = self.peers.lock().unwrap_or_else(|p| p.into_inner());
        peers.retain(|_, (at, _, _)| now.duration_since(*at) < PEER_EXPIRES);
        let mut out: Vec<(i64, PeerStatus)> = peers
            .values()
            .map(|(_, heard_ms, peer)| (*heard_ms, peer.clone()))
            .collect();
        out.sort_by(|a, b| a.1.label.cmp(&b.1.label));
        out
    }

    /// Waits (at most `within`) until a workers process that would send an order is heard;
    /// whether one was. A web process just started has heard nobody yet: the workers say how
    /// they stand every `STATUS_EVERY`.
    pub async fn wait_for_workers(&self, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let heard = self.heard.notified();
            tokio::pin!(heard);
            // Listening before looking: a status heard in between still wakes this.
            heard.as_mut().enable();
            if self.absent().is_none() {
                return true;
            }
            if tokio::time::timeout_at(deadline, heard).await.is_err() {
                return false;
            }
        }
    }

    /// Asks the process listening at `label` to restart its worker `name`.
    pub fn request_restart(&self, label: &str, name: &str) {
        let message = ControlMessage {
            to: label.to_owned(),
            restart: name.to_owned(),
        };
        match serde_json::to_vec(&message) {
            Ok(payload) => self.send(CONTROL, payload),
            Err(e) => tracing::error!(error = %e, "a control message could not be encoded"),
        }
    }

    /// In a process with workers: says every `STATUS_EVERY` how they stand (and the feed,
    /// while `feed_open()`, and the levels its trader confirms), and restarts a worker an admin
    /// asks for over the bus.
    pub fn announce_status(
        self: &Arc<Self>,
        label: String,
        role: &'static str,
        sources: StatusSources,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let StatusSources {
            workers,
            feed,
            feed_open,
            confirming,
        } = sources;
        *self.label.lock().unwrap_or_else(|p| p.into_inner()) = label.clone();
        let this = self.clone();
        let mut restarts = self.restarts.subscribe();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(STATUS_EVERY);
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    asked = restarts.recv() => {
                        if let Ok(name) = asked
                            && !workers.restart(&name)
                        {
                            tracing::warn!(worker = %name, "asked to restart a worker this process does not run");
                        }
                        continue;
                    }
                    _ = every.tick() => {}
                }
                let status = PeerStatus {
                    from: this.process.clone(),
                    label: label.clone(),
                    role: role.to_owned(),
                    workers: workers.states(),
                    feed: if feed_open() {
                        Some(feed.figures().await)
                    } else {
                        None
                    },
                    confirming: confirming(),
                };
                match serde_json::to_vec(&status) {
                    Ok(payload) => this.send(STATUS, payload),
                    Err(e) => tracing::error!(error = %e, "a status could not be encoded"),
                }
            }
        })
    }

    /// The System card's view, for a process of `role`.
    pub fn status(&self, role: &str) -> BusStatus {
        let figures = self.figures();
        BusStatus {
            kind: "redis".to_owned(),
            address: figures.address,
            role: role.to_owned(),
            connected: figures.connected,
            last_error: figures.last_error,
            published: figures.published,
            received: figures.received,
            dropped: figures.dropped,
            peers: self
                .peers()
                .into_iter()
                .map(|(heard_ms, p)| BusPeer {
                    label: p.label,
                    role: p.role,
                    feed: p.feed.is_some(),
                    heard_ms,
                })
                .collect(),
        }
    }
}

fn interest_owner(process: &str, mode: FeedMode) -> String {
    format!("web:{process}:{}", mode.label())
}

fn apply_interest(
    subscriptions: &FeedSubscriptions,
    from: &str,
    follows: &[(InstrumentToken, FeedMode)],
) {
    for mode in FeedMode::ALL {
        let tokens: Vec<InstrumentToken> = follows
            .iter()
            .filter(|(_, m)| *m == mode)
            .map(|(t, _)| *t)
            .collect();
        if let Err(e) = subscriptions.set(&interest_owner(from, mode), tokens, mode) {
            tracing::warn!(process = %from, error = %e, "a web process's instruments could not all be followed");
        }
    }
}

impl ChangeNotifier for RedisBus {
    fn changed(&self, what: StateChange) {
        let message = ChangeMessage {
            from: self.process.clone(),
            what,
        };
        match serde_json::to_vec(&message) {
            Ok(payload) => self.send(CHANGES, payload),
            Err(e) => tracing::error!(error = %e, "a change could not be encoded"),
        }
    }
}

/// A web process apart sends no orders: the `osp workers` process holding the trading lease
/// does. An order is left to it only while the bus stands and a workers process has said, in
/// the last `PEER_EXPIRES`, that its trading worker is there (running, standing by to take
/// over, paused, or restarting).
impl WorkersPresence for RedisBus {
    fn absent(&self) -> Option<String> {
        // Stored with the order, which every role may read: where Redis is and why it failed
        // stay on the admin's System card and in the log.
        if !self.connected.load(Ordering::Relaxed) {
            return Some(
                "the bus to the workers (Redis) is down, so no workers process can take the \
                 order; this app reconnects by itself — try again once it is back (an admin \
                 sees why on the Settings page)"
                    .to_owned(),
            );
        }
        let there = self.peers().iter().any(|(_, peer)| {
            peer.workers.iter().any(|w| {
                w.name == crate::workers::lease::TRADING_LEASE
                    && (w.is_ready() || w.phase == WorkerPhase::Restarting)
            })
        });
        (!there).then(|| {
            format!(
                "no workers process is running to send it (none has been heard on the bus in \
                 the last {} s); start `osp workers` with this installation's settings, then \
                 place the order again",
                PEER_EXPIRES.as_secs()
            )
        })
    }
}

/// A web process apart shows a level's phase from what the workers' processes said last: the
/// levels the one running the trading worker (the lease holder) is confirming.
impl LevelsLive for RedisBus {
    fn confirming(&self) -> Vec<LevelId> {
        let mut ids: Vec<LevelId> = self
            .peers()
            .into_iter()
            .filter(|(_, peer)| {
                peer.workers.iter().any(|w| {
                    w.name == crate::workers::lease::TRADING_LEASE
                        && w.phase == WorkerPhase::Running
                })
            })
            .flat_map(|(_, peer)| peer.confirming)
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

/// The feed of a web process without a ticker: what its pages follow is kept here and sent to
/// the ticker's process over the bus (at once on a change, and again every few seconds).
pub struct RelayedFeed {
    bus: Arc<RedisBus>,
    follows: Mutex<HashMap<InstrumentToken, FeedMode>>,
    capacity: usize,
}

impl RelayedFeed {
    pub fn start(
        bus: Arc<RedisBus>,
        capacity: usize,
        shutdown: CancellationToken,
    ) -> Arc<RelayedFeed> {
        let feed = Arc::new(RelayedFeed {
            bus,
            follows: Mutex::new(HashMap::new()),
            capacity,
        });
        let repeat = feed.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(INTEREST_EVERY);
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = every.tick() => repeat.announce(),
                }
            }
        });
        feed
    }

    fn announce(&self) {
        let follows: Vec<(InstrumentToken, FeedMode)> = self
            .follows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(t, m)| (*t, *m))
            .collect();
        let message = InterestMessage {
            from: self.bus.process.clone(),
            follows,
        };
        match serde_json::to_vec(&message) {
            Ok(payload) => self.bus.send(INTERESTS, payload),
            Err(e) => tracing::error!(error = %e, "interests could not be encoded"),
        }
    }

    /// Instruments this process follows now.
    pub fn followed(&self) -> HashSet<InstrumentToken> {
        self.follows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .copied()
            .collect()
    }
}

impl MarketFeed for RelayedFeed {
    fn apply(&self, change: FeedChange) {
        {
            let mut follows = self.follows.lock().unwrap_or_else(|p| p.into_inner());
            for token in &change.unsubscribe {
                follows.remove(token);
            }
            for (token, mode) in &change.subscribe {
                follows.insert(*token, *mode);
            }
        }
        self.announce();
    }

    fn capacity(&self) -> usize {
        self.capacity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tick_batch_begins_with_its_sender_so_its_own_are_skipped_unread() {
        let message = TickMessage {
            from: "4242-abcdef01".to_owned(),
            ticks: Vec::new(),
        };
        let wire = serde_json::to_string(&message).unwrap();
        let own = format!("{{\"from\":{}", serde_json::Value::from("4242-abcdef01"));
        assert!(wire.starts_with(&own), "{wire}");
        // A process whose id is a prefix of this one's is another process.
        let shorter = format!("{{\"from\":{}", serde_json::Value::from("4242-abcdef0"));
        assert!(!wire.starts_with(&shorter), "{wire}");
    }

    #[test]
    fn credentials_never_reach_the_address_shown() {
        assert_eq!(
            without_credentials("redis://user:secret@10.0.0.5:6379/2"),
            "redis://10.0.0.5:6379/2"
        );
        assert_eq!(
            without_credentials("redis://127.0.0.1:6379"),
            "redis://127.0.0.1:6379"
        );
    }
}
