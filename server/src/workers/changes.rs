//! What the workers hear of the web processes' changes, when they run apart.

use osp_core::model::StateChange;
use tokio::sync::broadcast;

/// The next announced change: `Some(what)`, or `None` when some were missed (the receiver
/// fell behind), meaning everything should be read again. Never resolves without a receiver
/// (one process alone hears nothing) or once the bus has closed.
pub async fn next_change(
    changes: &mut Option<broadcast::Receiver<StateChange>>,
) -> Option<StateChange> {
    let Some(receiver) = changes else {
        return std::future::pending().await;
    };
    match receiver.recv().await {
        Ok(what) => Some(what),
        Err(broadcast::error::RecvError::Lagged(_)) => None,
        Err(broadcast::error::RecvError::Closed) => {
            *changes = None;
            std::future::pending().await
        }
    }
}
