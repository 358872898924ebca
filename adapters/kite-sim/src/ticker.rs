//! The simulator's ticker websocket (`/ws?api_key=…&access_token=…`): Kite's handshake rules,
//! subscribe / unsubscribe / mode messages, binary frames of the subscribed instruments after
//! every market step, a one-byte heartbeat each second when there is nothing else to send, and
//! order updates as `{"type":"order",…}` text frames.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use osp_core::model::MarketSnapshot;
use serde::Deserialize;
use tokio::sync::watch;

use super::SimControl;
use super::auth::SimAuth;
use super::broker::SimBroker;
use super::quotes::packet_for;
use kite_connect::ticker::{ClientMessage, ServerText, TickerMode, encode_frame};

pub const TICKER_PATH: &str = "/ws";
const HEARTBEAT: Duration = Duration::from_secs(1);

/// The ticker side of the simulator: who may connect, what the market does, and whose order
/// updates are pushed.
#[derive(Clone)]
pub struct SimTicker {
    pub auth: Arc<SimAuth>,
    pub market: watch::Receiver<MarketSnapshot>,
    pub order_updates: Arc<SimBroker>,
    pub control: SimControl,
}

impl SimTicker {
    pub fn router(self) -> Router {
        Router::new()
            .route(TICKER_PATH, get(handshake))
            .with_state(Arc::new(self))
    }
}

#[derive(Deserialize)]
struct Credentials {
    api_key: Option<String>,
    access_token: Option<String>,
}

async fn handshake(
    State(sim): State<Arc<SimTicker>>,
    Query(credentials): Query<Credentials>,
    ws: WebSocketUpgrade,
) -> Response {
    // Kite refuses the upgrade itself with 403 for a wrong key or token.
    let (Some(key), Some(token)) = (&credentials.api_key, &credentials.access_token) else {
        return (StatusCode::FORBIDDEN, "missing api_key or access_token").into_response();
    };
    if sim.auth.check(key, token).is_err() {
        return (StatusCode::FORBIDDEN, "invalid api_key or access_token").into_response();
    }
    sim.control.connection_opened();
    ws.on_upgrade(move |socket| serve(socket, sim))
}

async fn serve(mut socket: WebSocket, sim: Arc<SimTicker>) {
    let mut market = sim.market.clone();
    market.mark_unchanged();
    let mut drops = sim.control.drops();
    drops.mark_unchanged();
    let mut updates = sim.order_updates.subscribe_updates();
    let mut subscriptions: HashMap<u32, TickerMode> = HashMap::new();
    let mut serving = Serving {
        control: sim.control.clone(),
        now: false,
    };
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    let mut frame = Vec::with_capacity(4096);
    loop {
        let outgoing = tokio::select! {
            changed = market.changed() => {
                if changed.is_err() {
                    return;
                }
                if sim.control.is_silent() || subscriptions.is_empty() {
                    continue;
                }
                if sim.control.take_malformed() {
                    // Promises three packets, holds a fragment of one.
                    Message::Binary(vec![0, 3, 0, 44, 1, 2, 3].into())
                } else {
                    let snapshot = market.borrow_and_update().clone();
                    let packets: Vec<_> = snapshot
                        .quotes
                        .iter()
                        .filter_map(|q| subscriptions.get(&q.tick.token.0).map(|m| packet_for(q, *m)))
                        .collect();
                    if packets.is_empty() {
                        continue;
                    }
                    frame.clear();
                    if let Err(e) = encode_frame(&packets, &mut frame) {
                        tracing::error!(error = %e, "simulator cannot encode a frame");
                        continue;
                    }
                    heartbeat.reset();
                    Message::Binary(frame.clone().into())
                }
            }
            update = updates.recv() => match update {
                Ok(update) => Message::Text(ServerText::order(&update).into()),
                // Missed updates are in the order book; the client re-reads it on reconnect.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            },
            _ = heartbeat.tick() => {
                if sim.control.is_silent() {
                    continue;
                }
                Message::Binary(vec![0].into())
            }
            incoming = socket.recv() => match incoming {
                None | Some(Err(_)) => return,
                Some(Ok(Message::Close(_))) => {
                    // Answer the closing handshake, as Kite does.
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
                Some(Ok(Message::Text(text))) => match ClientMessage::parse(&text) {
                    Ok(message) => {
                        let applied = apply(&mut subscriptions, message);
                        serving.set(!subscriptions.is_empty());
                        match applied {
                            Ok(()) => continue,
                            Err(reason) => Message::Text(ServerText::error(&reason).into()),
                        }
                    }
                    Err(reason) => Message::Text(ServerText::error(&reason).into()),
                },
                Some(Ok(_)) => continue,
            },
            _ = drops.changed() => return,
        };
        // A data frame, not a heartbeat: its time is what a tick → order measurement starts
        // from (taken before the write, so the write counts and no reply can precede it).
        if matches!(&outgoing, Message::Binary(frame) if frame.len() > 1) {
            sim.control.frame_sent();
        }
        if socket.send(outgoing).await.is_err() {
            return;
        }
    }
}

/// Whether a connection counts as subscribed to something (for `SimControl::unserved_steps`),
/// given back however the connection ends.
struct Serving {
    control: SimControl,
    now: bool,
}

impl Serving {
    fn set(&mut self, now: bool) {
        if now != self.now {
            self.now = now;
            self.control.serving(now);
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.set(false);
    }
}

/// Kite's cap on instruments per connection.
const MAX_SUBSCRIPTIONS: usize = 3000;

fn apply(
    subscriptions: &mut HashMap<u32, TickerMode>,
    message: ClientMessage,
) -> Result<(), String> {
    match message {
        // Kite's default mode for a new subscription is quote.
        ClientMessage::Subscribe(tokens) => {
            let new = tokens
                .iter()
                .filter(|t| !subscriptions.contains_key(t))
                .collect::<std::collections::HashSet<_>>()
                .len();
            if subscriptions.len() + new > MAX_SUBSCRIPTIONS {
                return Err(format!(
                    "a connection can subscribe at most {MAX_SUBSCRIPTIONS} instruments"
                ));
            }
            for token in tokens {
                subscriptions.entry(token).or_insert(TickerMode::Quote);
            }
        }
        ClientMessage::Unsubscribe(tokens) => {
            for token in tokens {
                subscriptions.remove(&token);
            }
        }
        ClientMessage::Mode(mode, tokens) => {
            for token in tokens {
                if let Some(m) = subscriptions.get_mut(&token) {
                    *m = mode;
                }
            }
        }
    }
    Ok(())
}
