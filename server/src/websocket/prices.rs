//! The price stream to browsers (`/ws/prices`). A client says which instruments it shows
//! (`follow`); the subscription manager keeps them on the ticker while any client needs them,
//! and the client's bus subscription delivers only those. Each client gets at most one batch
//! per `min_interval`: whatever arrives in between is conflated in its inbox (the newest tick
//! per instrument), so a slow client gets the latest prices, never a backlog, and never slows
//! the feed or the other clients. A client that stops reading is dropped after a send timeout.
//! What just happened (`activity.rs`: triggers, fills, alert firings…) goes to every client
//! on the same connection, as `activity` messages. On shutdown every client gets a "going
//! away" close.

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
}

impl PriceStream {
    pub fn upgrade(self, ws: WebSocketUpgrade) -> Response {
        ws.on_upgrade(move |socket| async move {
            let owner = format!("browser-{}", NEXT_CLIENT.fetch_add(1, Ordering::Relaxed));
            let clients = metrics::gauge!("osp_websocket_clients");
            clients.increment(1.0);
            self.serve(socket, &owner).await;
            clients.decrement(1.0);
            // Whatever ended the connection, its instruments are no longer needed by it.
            self.subscriptions.release(&owner);
        })
    }

    async fn serve(&self, mut socket: WebSocket, owner: &str) {
        let subscription = self.bus.subscribe(Interest::Only(Vec::new()));
        let mut activity = self.activity.subscribe();
        let mut activity_open = true;
        let mut next_send = Instant::now();
        loop {
            let due = Instant::now() >= next_send;
            tokio::select! {
                batch = subscription.next_batch(), if due => {
                    let Some(ticks) = batch else { return };
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
                        let reply = self.on_message(owner, subscription.as_ref(), &text);
                        if !send(&mut socket, &reply).await {
                            return;
                        }
                    }
                    // Pings are answered by axum; binary frames mean nothing here.
                    Some(Ok(_)) => {}
                },
                _ = self.shutdown.cancelled() => {
                    let frame = CloseFrame {
                        code: CLOSE_GOING_AWAY,
                        reason: "server shutting down".into(),
                    };
                    let _ = tokio::time::timeout(
                        Duration::from_secs(1),
                        socket.send(Message::Close(Some(frame))),
                    )
                    .await;
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

/// Sends one message; `false` when the client is gone or stopped reading.
async fn send(socket: &mut WebSocket, message: &ServerMessage) -> bool {
    let text = match serde_json::to_string(message) {
        Ok(text) => text,
        Err(e) => {
            tracing::error!(error = %e, "cannot encode a price message");
            return false;
        }
    };
    match tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Text(text.into()))).await {
        Ok(Ok(())) => true,
        Ok(Err(_)) => false,
        Err(_) => {
            tracing::info!("dropping a price client that stopped reading");
            false
        }
    }
}
