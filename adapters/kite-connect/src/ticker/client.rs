//! The ticker connection: connects with the Kite login it follows (`api_key` and
//! `access_token`), keeps the wanted subscriptions (re-sent after every reconnect, with their
//! modes), decodes frames into a `TickSink`, reconnects with back-off, treats a feed silent for
//! `stall_timeout` (not even a heartbeat) as lost, and reports its state. A new login
//! reconnects at once with it; no login (or one Kite refused) waits for the next. A malformed
//! frame is counted, logged and skipped. The access token only ever goes into the connection
//! URL, which is never logged.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_util::sync::CancellationToken;

use super::{ClientMessage, Frame, ServerText, TickerMode, TickerPacket, parse_frame};
use crate::common::login::{KiteLogin, LoginWatch, fixed_login};

/// Where decoded data goes. Called on the connection's task: keep it quick (update a cache,
/// publish on a channel), never block.
pub trait TickSink: Send + Sync + 'static {
    fn on_packets(&self, packets: &[TickerPacket]);
    fn on_text(&self, _text: ServerText) {}
}

#[derive(Clone, Debug)]
pub struct TickerConfig {
    /// `wss://ws.kite.trade` for Kite, `ws://127.0.0.1:PORT/ws` for the simulator.
    pub url: String,
    /// The login to connect with, followed: the REST client's session.
    pub login: LoginWatch,
    pub connect_timeout: Duration,
    /// No frame at all (data or heartbeat) for this long: the feed is stalled; reconnect.
    pub stall_timeout: Duration,
    pub reconnect_base: Duration,
    pub reconnect_ceiling: Duration,
    /// Give up after this many failed attempts in a row (`None`: never).
    pub max_attempts: Option<u32>,
}

impl TickerConfig {
    /// A ticker on one fixed login.
    pub fn new(
        url: impl Into<String>,
        api_key: impl Into<String>,
        access_token: SecretString,
    ) -> Self {
        Self::following(url, fixed_login(api_key, access_token))
    }

    /// A ticker that follows `login`: connects when there is one, reconnects when it changes.
    pub fn following(url: impl Into<String>, login: LoginWatch) -> Self {
        Self {
            url: url.into(),
            login,
            connect_timeout: Duration::from_secs(10),
            stall_timeout: Duration::from_secs(10),
            reconnect_base: Duration::from_millis(500),
            reconnect_ceiling: Duration::from_secs(30),
            max_attempts: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TickerState {
    Connecting,
    /// No Kite login yet (or it was dropped): connects when one arrives.
    WaitingForLogin,
    Connected,
    Reconnecting {
        attempt: u32,
        reason: String,
    },
    /// Kite refused the credentials: retrying with the same token cannot help; the next
    /// login is waited for.
    Unauthorized,
    /// Gave up after `max_attempts`.
    Failed {
        reason: String,
    },
    Stopped,
}

/// Counters for health and metrics.
#[derive(Debug, Default)]
pub struct TickerStats {
    pub frames: AtomicU64,
    pub packets: AtomicU64,
    pub heartbeats: AtomicU64,
    pub decode_errors: AtomicU64,
    pub connects: AtomicU64,
}

enum Command {
    Subscribe(Vec<u32>, TickerMode),
    Unsubscribe(Vec<u32>),
}

#[derive(Clone)]
pub struct TickerHandle {
    commands: mpsc::Sender<Command>,
    state: watch::Receiver<TickerState>,
    stats: Arc<TickerStats>,
}

impl TickerHandle {
    /// Subscribes `tokens` in `mode` (or changes their mode). Kept across reconnects.
    pub async fn subscribe(&self, tokens: Vec<u32>, mode: TickerMode) {
        let _ = self.commands.send(Command::Subscribe(tokens, mode)).await;
    }

    pub async fn unsubscribe(&self, tokens: Vec<u32>) {
        let _ = self.commands.send(Command::Unsubscribe(tokens)).await;
    }

    pub fn state(&self) -> watch::Receiver<TickerState> {
        self.state.clone()
    }

    pub fn stats(&self) -> &TickerStats {
        &self.stats
    }
}

/// Starts the connection task; it runs until `shutdown` is cancelled (or it gives up).
pub fn spawn(
    config: TickerConfig,
    sink: Arc<dyn TickSink>,
    shutdown: CancellationToken,
) -> TickerHandle {
    let (commands, rx) = mpsc::channel(64);
    let (state_tx, state) = watch::channel(TickerState::Connecting);
    let stats = Arc::new(TickerStats::default());
    let connection = Connection {
        config,
        sink,
        commands: rx,
        state: state_tx,
        stats: stats.clone(),
        shutdown,
        wanted: HashMap::new(),
        packets: Vec::with_capacity(256),
    };
    tokio::spawn(connection.run());
    TickerHandle {
        commands,
        state,
        stats,
    }
}

struct Connection {
    config: TickerConfig,
    sink: Arc<dyn TickSink>,
    commands: mpsc::Receiver<Command>,
    state: watch::Sender<TickerState>,
    stats: Arc<TickerStats>,
    shutdown: CancellationToken,
    /// What the owner wants subscribed, and in which mode.
    wanted: HashMap<u32, TickerMode>,
    /// Reused for every frame: no allocation per frame once warm.
    packets: Vec<TickerPacket>,
}

enum End {
    Stopped,
    Lost(String),
    /// Another login arrived (or the login was dropped): connect again at once.
    NewLogin,
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

impl Connection {
    async fn run(mut self) {
        let mut failures = 0_u32;
        loop {
            let Some(login) = self.wait_for_login().await else {
                break;
            };
            let url = format!(
                "{}?api_key={}&access_token={}",
                self.config.url,
                login.api_key,
                login.access_token.expose_secret()
            );
            let reason = match tokio::time::timeout(
                self.config.connect_timeout,
                tokio_tungstenite::connect_async(url),
            )
            .await
            {
                Ok(Ok((socket, _))) => {
                    failures = 0;
                    self.stats.connects.fetch_add(1, Ordering::Relaxed);
                    self.state.send_replace(TickerState::Connected);
                    match self.session(socket).await {
                        End::Stopped => break,
                        End::NewLogin => continue,
                        End::Lost(reason) => reason,
                    }
                }
                Ok(Err(tungstenite::Error::Http(response)))
                    if response.status().as_u16() == 403 =>
                {
                    tracing::warn!(
                        "ticker refused the access token (403); waiting for the next Kite login"
                    );
                    self.state.send_replace(TickerState::Unauthorized);
                    if !self.wait_for_new_login().await {
                        break;
                    }
                    failures = 0;
                    continue;
                }
                // The error text can hold the URL, and the URL holds the token: log the kind only.
                Ok(Err(e)) => format!("connect failed: {}", error_kind(&e)),
                Err(_) => format!(
                    "connect timed out after {} s",
                    self.config.connect_timeout.as_secs()
                ),
            };
            failures += 1;
            if self.config.max_attempts.is_some_and(|max| failures > max) {
                tracing::error!(%reason, "ticker gave up after {} attempts", failures - 1);
                self.state.send_replace(TickerState::Failed { reason });
                return;
            }
            tracing::info!(%reason, attempt = failures, "ticker reconnecting");
            self.state.send_replace(TickerState::Reconnecting {
                attempt: failures,
                reason,
            });
            if !self.back_off(failures).await {
                break;
            }
        }
        self.state.send_replace(TickerState::Stopped);
    }

    /// The login to connect with, waiting (still taking commands) while there is none.
    /// `None`: shutting down.
    async fn wait_for_login(&mut self) -> Option<KiteLogin> {
        loop {
            if let Some(login) = self.config.login.borrow_and_update().clone() {
                return Some(login);
            }
            self.state.send_replace(TickerState::WaitingForLogin);
            if !self.wait_for_new_login().await {
                return None;
            }
        }
    }

    /// Waits, still taking commands, until the login changes. `false`: shutting down.
    async fn wait_for_new_login(&mut self) -> bool {
        loop {
            tokio::select! {
                _ = self.shutdown.cancelled() => return false,
                _ = login_changed(&mut self.config.login) => return true,
                command = self.commands.recv() => match command {
                    Some(command) => { self.remember(&command); }
                    None => return false,
                },
            }
        }
    }

    /// Waits before the next attempt, still taking commands. `false`: shutting down.
    async fn back_off(&mut self, attempt: u32) -> bool {
        let ms = |d: Duration| u32::try_from(d.as_millis()).unwrap_or(u32::MAX);
        let delay = osp_core::backoff::reconnect_delay_ms(
            attempt,
            ms(self.config.reconnect_base),
            ms(self.config.reconnect_ceiling),
            rand_unit(),
        );
        let until = Instant::now() + Duration::from_millis(u64::from(delay));
        loop {
            tokio::select! {
                _ = self.shutdown.cancelled() => return false,
                _ = tokio::time::sleep_until(until) => return true,
                command = self.commands.recv() => match command {
                    Some(command) => { self.remember(&command); }
                    None => return false,
                },
            }
        }
    }

    fn remember(&mut self, command: &Command) -> Vec<ClientMessage> {
        match command {
            Command::Subscribe(tokens, mode) => {
                for t in tokens {
                    self.wanted.insert(*t, *mode);
                }
                vec![
                    ClientMessage::Subscribe(tokens.clone()),
                    ClientMessage::Mode(*mode, tokens.clone()),
                ]
            }
            Command::Unsubscribe(tokens) => {
                for t in tokens {
                    self.wanted.remove(t);
                }
                vec![ClientMessage::Unsubscribe(tokens.clone())]
            }
        }
    }

    /// The subscribe and mode messages that restore `wanted` on a fresh connection.
    fn resubscribe_messages(&self) -> Vec<ClientMessage> {
        if self.wanted.is_empty() {
            return Vec::new();
        }
        let mut by_mode: HashMap<TickerMode, Vec<u32>> = HashMap::new();
        for (token, mode) in &self.wanted {
            by_mode.entry(*mode).or_default().push(*token);
        }
        let mut messages = vec![ClientMessage::Subscribe(
            self.wanted.keys().copied().collect(),
        )];
        messages.extend(
            by_mode
                .into_iter()
                .map(|(mode, tokens)| ClientMessage::Mode(mode, tokens)),
        );
        messages
    }

    async fn session(&mut self, socket: Socket) -> End {
        let (mut tx, mut rx) = socket.split();
        for message in self.resubscribe_messages() {
            if tx
                .send(Message::Text(message.to_json().into()))
                .await
                .is_err()
            {
                return End::Lost("could not resubscribe".into());
            }
        }
        let mut last_frame = Instant::now();
        loop {
            tokio::select! {
                _ = self.shutdown.cancelled() => {
                    let _ = tx.send(Message::Close(None)).await;
                    return End::Stopped;
                }
                _ = login_changed(&mut self.config.login) => {
                    tracing::info!("the Kite login changed; the ticker connects again with it");
                    let _ = tx.send(Message::Close(None)).await;
                    return End::NewLogin;
                }
                _ = tokio::time::sleep_until(last_frame + self.config.stall_timeout) => {
                    return End::Lost(format!(
                        "feed stalled: nothing for {} ms",
                        self.config.stall_timeout.as_millis()
                    ));
                }
                command = self.commands.recv() => {
                    let Some(command) = command else { return End::Stopped };
                    for message in self.remember(&command) {
                        if tx.send(Message::Text(message.to_json().into())).await.is_err() {
                            return End::Lost("send failed".into());
                        }
                    }
                }
                incoming = rx.next() => {
                    last_frame = Instant::now();
                    match incoming {
                        None => return End::Lost("connection closed".into()),
                        Some(Err(e)) => return End::Lost(format!("read failed: {}", error_kind(&e))),
                        Some(Ok(Message::Binary(bytes))) => self.on_binary(&bytes),
                        Some(Ok(Message::Text(text))) => match ServerText::parse(&text) {
                            Ok(text) => self.sink.on_text(text),
                            Err(e) => tracing::warn!(error = %e, "unreadable ticker text frame"),
                        },
                        Some(Ok(Message::Close(_))) => return End::Lost("closed by the server".into()),
                        Some(Ok(_)) => {}
                    }
                }
            }
        }
    }

    fn on_binary(&mut self, bytes: &[u8]) {
        self.stats.frames.fetch_add(1, Ordering::Relaxed);
        match parse_frame(bytes) {
            Ok(Frame::Heartbeat) => {
                self.stats.heartbeats.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Frame::Packets(iter)) => {
                self.packets.clear();
                for result in iter {
                    match result {
                        Ok(packet) => self.packets.push(packet),
                        Err(e) => {
                            self.stats.decode_errors.fetch_add(1, Ordering::Relaxed);
                            metrics::counter!("osp_ticker_decode_errors_total").increment(1);
                            tracing::warn!(error = %e, len = bytes.len(), "skipping a malformed ticker frame");
                            break;
                        }
                    }
                }
                if !self.packets.is_empty() {
                    self.stats
                        .packets
                        .fetch_add(self.packets.len() as u64, Ordering::Relaxed);
                    metrics::counter!("osp_ticks_received_total")
                        .increment(self.packets.len() as u64);
                    self.sink.on_packets(&self.packets);
                }
            }
            Err(e) => {
                self.stats.decode_errors.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("osp_ticker_decode_errors_total").increment(1);
                tracing::warn!(error = %e, "skipping a malformed ticker frame");
            }
        }
    }
}

/// Resolves when `login` changes; never, once no change can come (its sender is gone).
async fn login_changed(login: &mut LoginWatch) {
    if login.changed().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// A tungstenite error without anything that could carry the URL.
fn error_kind(e: &tungstenite::Error) -> String {
    match e {
        tungstenite::Error::Io(io) => format!("io: {}", io.kind()),
        tungstenite::Error::Http(response) => format!("http status {}", response.status()),
        tungstenite::Error::Url(_) => "invalid ticker URL".into(),
        tungstenite::Error::Tls(_) => "tls error".into(),
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => "closed".into(),
        tungstenite::Error::Protocol(p) => format!("protocol: {p}"),
        other => format!("{:?}", std::mem::discriminant(other)),
    }
}

/// A jitter value in [0, 1) without a random-number crate: the sub-second clock is varied
/// enough to spread reconnects of many processes.
fn rand_unit() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    f64::from(nanos % 1_000_000) / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use tokio_tungstenite::tungstenite::Error;

    /// Kite's ticker is `wss://`: TLS must be compiled in, with a crypto provider. Without it
    /// tungstenite refuses the URL itself (or rustls panics choosing a provider); with it, a
    /// server that hangs up mid-handshake is an ordinary I/O or TLS error.
    #[tokio::test]
    async fn wss_urls_get_as_far_as_a_tls_handshake() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            // Accept, then hang up without speaking TLS.
            let _ = listener.accept().await;
        });
        let error = tokio_tungstenite::connect_async(format!("wss://127.0.0.1:{port}/"))
            .await
            .expect_err("the server hangs up");
        assert!(matches!(error, Error::Io(_) | Error::Tls(_)), "{error:?}");
    }
}
