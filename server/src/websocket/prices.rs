//! The price stream to browsers (`/ws/prices`). A client says which instruments it shows
//! (`follow`); the subscription manager keeps them on the ticker while any client needs them,
//! and the client's bus subscription delivers only those. Each client gets at most one batch
//! per `min_interval`: whatever arrives in between is conflated in its inbox (the newest tick
//! per instrument), so a slow client gets the latest prices, never a backlog, and never slows
//! the feed or the other clients. A client that stops reading is dropped after a send timeout.
//! What just happened (`activity.rs`: triggers, fills, alert firings…) goes to every client
//! on the same connection, as `activity` messages. On shutdown every client gets a "going
//! away" close.
//!
//! Bounded against its own users: a message is at most `MAX_MESSAGE_BYTES`, a client may send
//! `MAX_MESSAGES_PER_MINUTE`, one user may hold `MAX_SOCKETS_PER_USER` sockets (so one user's
//! sockets × 200 follows cannot fill the feed's 9,000 instruments and refuse everyone else),
//! only instruments in the catalog are followed, and the session is asked again every
//! `SESSION_CHECK` — a sign-out, a disabled user or the absolute timeout closes the socket
//! within seconds.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use app::live::{ClientMessage, MAX_FOLLOWED, ServerMessage};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use osp_core::model::{FeedMode, InstrumentToken, Tick};
use osp_core::ports::{Interest, MarketData, TickBus, TickSubscription};
use osp_core::services::prices::{FeedSubscriptions, PriceService};
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest message a client may send (a follow of 200 tokens is about 2 KB).
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;
/// The socket's read buffer. tungstenite zero-fills the whole buffer on every read attempt, and a
/// price socket's reads are attempted at every batch it is sent: at the 128 KiB default that
/// memset was half the server's CPU with 1,000 clients at 50 batches a second (and 128 MiB of
/// their memory). A client's messages are small (`MAX_MESSAGE_BYTES` at most, which a larger
/// frame's header reserves for anyway).
const READ_BUFFER_BYTES: usize = 4 * 1024;
/// The most ticks in one message. The socket's write buffer keeps the capacity of the largest
/// frame it ever held (tungstenite never shrinks it), so a frame per batch made each client's
/// memory grow with what it follows: 50 full ticks with depth are 33 KB of JSON, the 200 a
/// page may follow ~130 KB, held per socket for its life. At 16 a frame, ~11 KB whatever it
/// follows (`price_stream.rs` holds a follow of 40 to it).
pub const TICKS_PER_MESSAGE: usize = 16;
/// The most bytes of JSON in one frame, whatever the message: a list (ticks, activity items)
/// that would be longer goes as several frames, halved until each fits. For the same reason as
/// `TICKS_PER_MESSAGE`, and for the activity above all: it goes to every socket at once, and
/// the batch read after the database kept the feed waiting can hold a hundred items (up to 50
/// per source) — as one frame it would grow every socket's write buffer to its size, for good.
pub const MAX_FRAME_BYTES: usize = 12 * 1024;
/// Messages a client may send per minute (a page follows anew when it changes what it shows).
const MAX_MESSAGES_PER_MINUTE: u32 = 120;
/// Price sockets one user may hold at once (tabs and devices).
pub const MAX_SOCKETS_PER_USER: usize = 8;
/// How often an open socket asks whether its session still stands.
const SESSION_CHECK: Duration = Duration::from_secs(5);
/// RFC 6455 "policy violation": the session ended, or the client broke the limits.
const CLOSE_POLICY: u16 = 1008;
/// RFC 6455 "going away": the server is shutting down.
const CLOSE_GOING_AWAY: u16 = 1001;
/// Browsers show depth on the market watch and the instrument page: full mode.
const BROWSER_MODE: FeedMode = FeedMode::Full;

static NEXT_CLIENT: AtomicU64 = AtomicU64::new(1);

/// What every price client shares.
#[derive(Clone)]
pub struct PriceStream {
    pub bus: Arc<dyn TickBus>,
    pub prices: Arc<PriceService>,
    pub subscriptions: Arc<FeedSubscriptions>,
    pub min_interval: Duration,
    pub activity: super::activity::ActivityPush,
    pub shutdown: CancellationToken,
    /// Only its instruments can be followed.
    pub catalog: Arc<osp_core::services::instruments::InstrumentCatalog>,
    /// Open sockets per user.
    pub sockets: Sockets,
}

impl PriceStream {
    /// Upgrades the request of user `user_id`, unless they hold `MAX_SOCKETS_PER_USER` already.
    /// `still` is asked every `SESSION_CHECK` whether the session stands (the route always
    /// gives one; `None` is for in-process clients that have no session, as in the benchmark).
    pub fn upgrade(
        self,
        ws: WebSocketUpgrade,
        user_id: i64,
        still: Option<crate::auth::sessions::StillSignedIn>,
    ) -> Response {
        use axum::response::IntoResponse;
        let Some(slot) = SocketSlot::take(&self.sockets, user_id) else {
            return (
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "you have {MAX_SOCKETS_PER_USER} price connections open already: close a tab or another device's page"
                ),
            )
                .into_response();
        };
        ws.max_message_size(MAX_MESSAGE_BYTES)
            .max_frame_size(MAX_MESSAGE_BYTES)
            .read_buffer_size(READ_BUFFER_BYTES)
            .on_upgrade(move |socket| async move {
                let owner = format!("browser-{}", NEXT_CLIENT.fetch_add(1, Ordering::Relaxed));
                let clients = metrics::gauge!("osp_websocket_clients");
                clients.increment(1.0);
                self.serve(socket, &owner, still).await;
                clients.decrement(1.0);
                // Whatever ended the connection, its instruments are no longer needed by it.
                self.subscriptions.release(&owner);
                drop(slot);
            })
    }

    async fn serve(
        &self,
        mut socket: WebSocket,
        owner: &str,
        still: Option<crate::auth::sessions::StillSignedIn>,
    ) {
        let subscription = self.bus.subscribe(Interest::Only(Vec::new()));
        let mut activity = self.activity.subscribe();
        let mut activity_open = true;
        let mut next_send = Instant::now();
        // Each socket's first check at a random point of the period: sockets opened together
        // (a server restart, a load test) would otherwise all ask at the same instant, every
        // period, and queue on the database pool together.
        let first_check = Instant::now() + SESSION_CHECK.mul_f64(rand::random::<f64>());
        let mut session_check = tokio::time::interval_at(first_check, SESSION_CHECK);
        session_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut window = (Instant::now(), 0u32);
        loop {
            let due = Instant::now() >= next_send;
            tokio::select! {
                batch = subscription.next_batch(), if due => {
                    // The bus ends only when the server stops; its end may be seen here before
                    // the shutdown arm below is (`select!` polls its arms in a random order).
                    let Some(ticks) = batch else {
                        going_away(&mut socket).await;
                        return;
                    };
                    if !send(&mut socket, &ServerMessage::Ticks { ticks }).await {
                        return;
                    }
                    next_send = Instant::now() + self.min_interval;
                }
                _ = tokio::time::sleep_until(next_send), if !due => {}
                pushed = activity.recv(), if activity_open => match pushed {
                    Ok(items) => {
                        let message = ServerMessage::Activity { items: items.to_vec() };
                        if !send(&mut socket, &message).await {
                            return;
                        }
                    }
                    // Too slow for some batches: the notification centre still lists them.
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => activity_open = false,
                },
                incoming = socket.recv() => match incoming {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                    Some(Ok(Message::Text(text))) => {
                        if window.0.elapsed() >= Duration::from_secs(60) {
                            window = (Instant::now(), 0);
                        }
                        window.1 += 1;
                        if window.1 > MAX_MESSAGES_PER_MINUTE {
                            close(&mut socket, "too many messages: at most 120 a minute").await;
                            return;
                        }
                        let reply = self.on_message(owner, subscription.as_ref(), &text);
                        if !send(&mut socket, &reply).await {
                            return;
                        }
                    }
                    // Pings are answered by axum; binary frames mean nothing here.
                    Some(Ok(_)) => {}
                },
                _ = session_check.tick(), if still.is_some() => {
                    let holds = match &still {
                        Some(still) => still.holds().await,
                        None => true,
                    };
                    if !holds {
                        close(&mut socket, "the session ended: sign in again").await;
                        return;
                    }
                }
                _ = self.shutdown.cancelled() => {
                    going_away(&mut socket).await;
                    return;
                }
            }
        }
    }

    /// Applies a client message; the reply is the latest ticks of what it now follows, or why
    /// nothing changed.
    fn on_message(
        &self,
        owner: &str,
        subscription: &dyn TickSubscription,
        text: &str,
    ) -> ServerMessage {
        let tokens = match serde_json::from_str::<ClientMessage>(text) {
            Ok(ClientMessage::Follow { tokens }) => tokens,
            Err(e) => {
                return ServerMessage::Refused {
                    message: format!(
                        "unreadable message ({e}); expected {{\"type\":\"follow\",\"tokens\":[…]}}"
                    ),
                };
            }
        };
        let tokens: Vec<InstrumentToken> = tokens
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if tokens.len() > MAX_FOLLOWED {
            return ServerMessage::Refused {
                message: format!(
                    "one page can follow at most {MAX_FOLLOWED} instruments ({} asked)",
                    tokens.len()
                ),
            };
        }
        // Until the instruments are loaded, nothing can be told apart (nor subscribed).
        let index = self.catalog.index();
        let unknown: Vec<u32> = tokens
            .iter()
            .filter(|t| !index.is_empty() && index.get(**t).is_none())
            .take(5)
            .map(|t| t.0)
            .collect();
        if !unknown.is_empty() {
            return ServerMessage::Refused {
                message: format!("not instruments in today's list (nothing followed): {unknown:?}"),
            };
        }
        if let Err(full) = self
            .subscriptions
            .set(owner, tokens.iter().copied(), BROWSER_MODE)
        {
            return ServerMessage::Refused {
                message: full.to_string(),
            };
        }
        subscription.follow(Interest::Only(tokens.clone()));
        let ticks: Vec<Tick> = self.prices.latest(&tokens);
        ServerMessage::Ticks { ticks }
    }
}

/// Open sockets per user.
type Sockets = Arc<std::sync::Mutex<std::collections::HashMap<i64, usize>>>;

/// One of a user's sockets, counted while it lives: given back when dropped — when the
/// connection ends, or when the upgrade never completes (its callback is dropped unrun).
struct SocketSlot {
    sockets: Sockets,
    user: i64,
}

impl SocketSlot {
    /// A slot for `user`, unless they hold `MAX_SOCKETS_PER_USER` already.
    fn take(sockets: &Sockets, user: i64) -> Option<SocketSlot> {
        let mut open = sockets.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(user).or_default();
        if *count >= MAX_SOCKETS_PER_USER {
            return None;
        }
        *count += 1;
        Some(SocketSlot {
            sockets: sockets.clone(),
            user,
        })
    }
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        let mut open = self.sockets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.user) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.user);
            }
        }
    }
}

/// Tells the client the server is stopping (it reconnects to the next one).
async fn going_away(socket: &mut WebSocket) {
    let frame = CloseFrame {
        code: CLOSE_GOING_AWAY,
        reason: "server shutting down".into(),
    };
    let _ = tokio::time::timeout(
        Duration::from_secs(1),
        socket.send(Message::Close(Some(frame))),
    )
    .await;
}

/// Closes the socket with a policy-violation close saying why.
async fn close(socket: &mut WebSocket, reason: &'static str) {
    let frame = CloseFrame {
        code: CLOSE_POLICY,
        reason: reason.into(),
    };
    let _ = tokio::time::timeout(
        Duration::from_secs(1),
        socket.send(Message::Close(Some(frame))),
    )
    .await;
}

/// Sends one message — ticks at most `TICKS_PER_MESSAGE` to a frame, no frame over
/// `MAX_FRAME_BYTES` unless one tick or item alone is; `false` when the client is gone or
/// stopped reading.
async fn send(socket: &mut WebSocket, message: &ServerMessage) -> bool {
    let frames = match frames(message) {
        Ok(frames) => frames,
        Err(e) => {
            tracing::error!(error = %e, "cannot encode a price message");
            return false;
        }
    };
    for text in frames {
        if !send_one(socket, text).await {
            return false;
        }
    }
    true
}

/// `message` as the frames `send` sends, in order.
fn frames(message: &ServerMessage) -> Result<Vec<String>, serde_json::Error> {
    let mut out = Vec::new();
    match message {
        ServerMessage::Ticks { ticks } => {
            for chunk in ticks.chunks(TICKS_PER_MESSAGE) {
                split_into(
                    chunk,
                    &|t| ServerMessage::Ticks { ticks: t.to_vec() },
                    &mut out,
                )?;
            }
            if ticks.is_empty() {
                out.push(serde_json::to_string(message)?);
            }
        }
        ServerMessage::Activity { items } => split_into(
            items,
            &|i| ServerMessage::Activity { items: i.to_vec() },
            &mut out,
        )?,
        ServerMessage::Refused { .. } => out.push(serde_json::to_string(message)?),
    }
    Ok(out)
}

/// `list` as one frame when it fits `MAX_FRAME_BYTES` (or holds one element), else its two
/// halves, each the same way.
fn split_into<T>(
    list: &[T],
    wrap: &dyn Fn(&[T]) -> ServerMessage,
    out: &mut Vec<String>,
) -> Result<(), serde_json::Error> {
    let text = serde_json::to_string(&wrap(list))?;
    if text.len() <= MAX_FRAME_BYTES || list.len() <= 1 {
        out.push(text);
        return Ok(());
    }
    let (first, second) = list.split_at(list.len() / 2);
    split_into(first, wrap, out)?;
    split_into(second, wrap, out)
}

async fn send_one(socket: &mut WebSocket, text: String) -> bool {
    match tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Text(text.into()))).await {
        Ok(Ok(())) => true,
        Ok(Err(_)) => false,
        Err(_) => {
            tracing::info!("dropping a price client that stopped reading");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use osp_core::services::activity::{ActivityItem, ActivityKind};

    fn item(n: i64) -> ActivityItem {
        ActivityItem {
            at_ms: n,
            kind: ActivityKind::OrderFilled,
            text: format!(
                "order #{n} BUY 10 INFY filled at 1500.05 {}",
                "·".repeat(60)
            ),
        }
    }

    fn items_of(text: &str) -> Vec<ActivityItem> {
        match serde_json::from_str(text).unwrap() {
            ServerMessage::Activity { items } => items,
            other => panic!("not activity: {other:?}"),
        }
    }

    #[test]
    fn a_large_activity_batch_goes_as_frames_that_each_fit_in_order() {
        let all: Vec<ActivityItem> = (0..300).map(item).collect();
        let whole = serde_json::to_string(&ServerMessage::Activity { items: all.clone() }).unwrap();
        assert!(whole.len() > 4 * MAX_FRAME_BYTES, "{} bytes", whole.len());
        let frames = frames(&ServerMessage::Activity { items: all.clone() }).unwrap();
        assert!(frames.len() >= 4, "{} frames", frames.len());
        for frame in &frames {
            assert!(
                frame.len() <= MAX_FRAME_BYTES,
                "a frame of {} bytes",
                frame.len()
            );
        }
        let again: Vec<ActivityItem> = frames.iter().flat_map(|f| items_of(f)).collect();
        assert_eq!(again, all);
    }

    #[test]
    fn a_small_batch_is_one_frame_and_one_item_too_large_still_goes_alone() {
        let small = ServerMessage::Activity {
            items: vec![item(1), item(2)],
        };
        assert_eq!(
            frames(&small).unwrap(),
            vec![serde_json::to_string(&small).unwrap()]
        );
        let mut huge = item(3);
        huge.text = "x".repeat(MAX_FRAME_BYTES + 1);
        let frames = frames(&ServerMessage::Activity {
            items: vec![item(1), huge.clone(), item(2)],
        })
        .unwrap();
        let split: Vec<Vec<ActivityItem>> = frames.iter().map(|f| items_of(f)).collect();
        assert_eq!(split, vec![vec![item(1)], vec![huge], vec![item(2)]]);
    }
}
