//! The price stream to browsers (`/ws/prices`): the current snapshot on connect, then the
//! newest one after updates, at most once per `min_interval` per client. Whatever happens in
//! between is conflated (a `watch` holds only the newest snapshot), so a slow client gets the
//! latest prices, never a backlog; pacing keeps the kernel's socket buffers (megabytes on a
//! fast link) from filling with stale snapshots. A client that stops reading is dropped after
//! a send timeout. On shutdown every client gets a "going away" close.

use std::time::Duration;

use app::live::ServerMessage;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use osp_core::model::MarketSnapshot;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// RFC 6455 "going away": the server is shutting down.
const CLOSE_GOING_AWAY: u16 = 1001;

pub async fn upgrade(
    ws: WebSocketUpgrade,
    updates: watch::Receiver<MarketSnapshot>,
    min_interval: Duration,
    shutdown: CancellationToken,
) -> Response {
    ws.on_upgrade(move |socket| serve(socket, updates, min_interval, shutdown))
}

/// What woke the client's task.
enum Event {
    Changed,
    Due,
    Incoming(Option<Result<Message, axum::Error>>),
    Shutdown,
}

async fn serve(
    mut socket: WebSocket,
    mut updates: watch::Receiver<MarketSnapshot>,
    min_interval: Duration,
    shutdown: CancellationToken,
) {
    // `dirty`: a snapshot newer than the last one sent is waiting; sent once `next_send` is due.
    let mut dirty = true;
    let mut next_send = Instant::now();
    loop {
        if dirty && Instant::now() >= next_send {
            if !send_latest(&mut socket, &mut updates).await {
                return;
            }
            dirty = false;
            next_send = Instant::now() + min_interval;
            continue;
        }
        let event = tokio::select! {
            changed = updates.changed(), if !dirty => match changed {
                Ok(()) => Event::Changed,
                Err(_) => return,
            },
            _ = tokio::time::sleep_until(next_send), if dirty => Event::Due,
            incoming = socket.recv() => Event::Incoming(incoming),
            _ = shutdown.cancelled() => Event::Shutdown,
        };
        match event {
            Event::Changed => dirty = true,
            Event::Due => {}
            Event::Incoming(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return,
            // Pings are answered by axum; nothing else is expected from the client yet.
            Event::Incoming(Some(Ok(_))) => {}
            Event::Shutdown => {
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

/// Sends the newest snapshot; `false` when the client is gone or stopped reading.
async fn send_latest(
    socket: &mut WebSocket,
    updates: &mut watch::Receiver<MarketSnapshot>,
) -> bool {
    let snapshot = updates.borrow_and_update().clone();
    let text = match serde_json::to_string(&ServerMessage::Snapshot { snapshot }) {
        Ok(text) => text,
        Err(e) => {
            tracing::error!(error = %e, "cannot encode a price snapshot");
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
