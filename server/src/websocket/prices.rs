//! The price stream to browsers (`/ws/prices`): the current snapshot on connect, then the
//! newest one after every update. A client that reads slowly skips intermediate snapshots
//! (conflation by `watch`); one that stops reading is dropped after a send timeout, so it can
//! never hold memory or slow anyone else. On shutdown every client gets a "going away" close.

use std::time::Duration;

use app::live::ServerMessage;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use osp_core::model::MarketSnapshot;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// RFC 6455 "going away": the server is shutting down.
const CLOSE_GOING_AWAY: u16 = 1001;

pub async fn upgrade(
    ws: WebSocketUpgrade,
    updates: watch::Receiver<MarketSnapshot>,
    shutdown: CancellationToken,
) -> Response {
    ws.on_upgrade(move |socket| serve(socket, updates, shutdown))
}

async fn serve(
    mut socket: WebSocket,
    mut updates: watch::Receiver<MarketSnapshot>,
    shutdown: CancellationToken,
) {
    let mut send_now = true;
    loop {
        if send_now {
            let snapshot = updates.borrow_and_update().clone();
            let text = match serde_json::to_string(&ServerMessage::Snapshot { snapshot }) {
                Ok(text) => text,
                Err(e) => {
                    tracing::error!(error = %e, "cannot encode a price snapshot");
                    break;
                }
            };
            match tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Text(text.into()))).await
            {
                Ok(Ok(())) => {}
                Ok(Err(_)) => break,
                Err(_) => {
                    tracing::info!("dropping a price client that stopped reading");
                    break;
                }
            }
        }
        tokio::select! {
            changed = updates.changed() => {
                if changed.is_err() {
                    break;
                }
                send_now = true;
            }
            incoming = socket.recv() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                // Pings are answered by axum; nothing else is expected from the client yet.
                Some(Ok(_)) => send_now = false,
            },
            _ = shutdown.cancelled() => {
                let frame = CloseFrame { code: CLOSE_GOING_AWAY, reason: "server shutting down".into() };
                let _ = tokio::time::timeout(
                    Duration::from_secs(1),
                    socket.send(Message::Close(Some(frame))),
                )
                .await;
                break;
            }
        }
    }
}
