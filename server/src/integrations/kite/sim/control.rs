//! Fault injection for tests, off by default: drop every ticker connection, go silent (no data,
//! no heartbeat: a stalled feed), or send one malformed frame.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::sync::watch;

#[derive(Clone, Debug)]
pub struct SimControl {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    silent: AtomicBool,
    malformed_pending: AtomicBool,
    /// Bumped to make every open ticker connection close.
    drops: watch::Sender<u64>,
    connections: AtomicU64,
}

impl Default for SimControl {
    fn default() -> Self {
        Self {
            inner: Arc::new(Inner {
                silent: AtomicBool::new(false),
                malformed_pending: AtomicBool::new(false),
                drops: watch::channel(0).0,
                connections: AtomicU64::new(0),
            }),
        }
    }
}

impl SimControl {
    /// Closes every open ticker connection (clients should reconnect).
    pub fn drop_connections(&self) {
        self.inner.drops.send_modify(|n| *n += 1);
    }

    /// While silent the ticker sends nothing at all, not even heartbeats.
    pub fn set_silent(&self, silent: bool) {
        self.inner.silent.store(silent, Ordering::SeqCst);
    }

    pub fn is_silent(&self) -> bool {
        self.inner.silent.load(Ordering::SeqCst)
    }

    /// The next data frame any connection sends is garbage.
    pub fn send_malformed_frame(&self) {
        self.inner.malformed_pending.store(true, Ordering::SeqCst);
    }

    pub(super) fn take_malformed(&self) -> bool {
        self.inner.malformed_pending.swap(false, Ordering::SeqCst)
    }

    pub(super) fn drops(&self) -> watch::Receiver<u64> {
        self.inner.drops.subscribe()
    }

    pub(super) fn connection_opened(&self) {
        self.inner.connections.fetch_add(1, Ordering::SeqCst);
    }

    /// Ticker connections accepted so far (a reconnect counts again).
    pub fn connections_accepted(&self) -> u64 {
        self.inner.connections.load(Ordering::SeqCst)
    }
}
