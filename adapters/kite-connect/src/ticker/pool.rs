//! Kite allows 3000 instruments per ticker connection and 3 connections per API key.
//! `TickerPool` shards subscriptions over up to that many connections, opening one only when
//! the ones before are full, and refuses (changing nothing) a subscription that would not fit.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use super::client::{TickSink, TickerConfig, TickerHandle, TickerState, spawn};
use super::packet::TickerMode;

pub const MAX_INSTRUMENTS_PER_CONNECTION: usize = 3000;
pub const MAX_CONNECTIONS: usize = 3;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{wanted} instruments would be subscribed; Kite allows at most {limit} ({MAX_CONNECTIONS} connections × {MAX_INSTRUMENTS_PER_CONNECTION}). Unsubscribe some first."
)]
pub struct TooManyInstruments {
    pub wanted: usize,
    pub limit: usize,
}

pub struct TickerPool {
    config: TickerConfig,
    sink: Arc<dyn TickSink>,
    shutdown: CancellationToken,
    per_connection: usize,
    inner: Mutex<Shards>,
}

#[derive(Default)]
struct Shards {
    handles: Vec<TickerHandle>,
    /// Which connection carries each subscribed token.
    owner: HashMap<u32, usize>,
    load: [usize; MAX_CONNECTIONS],
}

impl TickerPool {
    pub fn new(config: TickerConfig, sink: Arc<dyn TickSink>, shutdown: CancellationToken) -> Self {
        Self::with_capacity(config, sink, shutdown, MAX_INSTRUMENTS_PER_CONNECTION)
    }

    /// A pool whose connections hold `per_connection` instruments (tests use a small number).
    pub fn with_capacity(
        config: TickerConfig,
        sink: Arc<dyn TickSink>,
        shutdown: CancellationToken,
        per_connection: usize,
    ) -> Self {
        Self {
            config,
            sink,
            shutdown,
            per_connection: per_connection.clamp(1, MAX_INSTRUMENTS_PER_CONNECTION),
            inner: Mutex::new(Shards::default()),
        }
    }

    /// Subscribes `tokens` in `mode`; tokens already subscribed change mode where they are.
    pub async fn subscribe(
        &self,
        tokens: Vec<u32>,
        mode: TickerMode,
    ) -> Result<(), TooManyInstruments> {
        let mut shards = self.inner.lock().await;
        let mut new: Vec<u32> = tokens
            .iter()
            .copied()
            .filter(|t| !shards.owner.contains_key(t))
            .collect();
        new.sort_unstable();
        new.dedup();
        let limit = self.per_connection * MAX_CONNECTIONS;
        let wanted = shards.owner.len() + new.len();
        if wanted > limit {
            return Err(TooManyInstruments { wanted, limit });
        }
        let mut per_shard: HashMap<usize, Vec<u32>> = HashMap::new();
        for token in tokens.iter().filter(|t| shards.owner.contains_key(t)) {
            per_shard
                .entry(shards.owner[token])
                .or_default()
                .push(*token);
        }
        for token in new {
            let shard = (0..MAX_CONNECTIONS)
                .find(|s| shards.load[*s] < self.per_connection)
                .unwrap_or(MAX_CONNECTIONS - 1);
            shards.load[shard] += 1;
            while shards.handles.len() <= shard {
                shards.handles.push(spawn(
                    self.config.clone(),
                    self.sink.clone(),
                    self.shutdown.clone(),
                ));
            }
            shards.owner.insert(token, shard);
            per_shard.entry(shard).or_default().push(token);
        }
        for (shard, tokens) in per_shard {
            shards.handles[shard].subscribe(tokens, mode).await;
        }
        Ok(())
    }

    pub async fn unsubscribe(&self, tokens: Vec<u32>) {
        let mut shards = self.inner.lock().await;
        let mut per_shard: HashMap<usize, Vec<u32>> = HashMap::new();
        for token in tokens {
            if let Some(shard) = shards.owner.remove(&token) {
                shards.load[shard] -= 1;
                per_shard.entry(shard).or_default().push(token);
            }
        }
        for (shard, tokens) in per_shard {
            shards.handles[shard].unsubscribe(tokens).await;
        }
    }

    /// Instruments this pool can follow at once.
    pub fn capacity(&self) -> usize {
        self.per_connection * MAX_CONNECTIONS
    }

    /// The state of each open connection.
    pub async fn states(&self) -> Vec<TickerState> {
        self.inner
            .lock()
            .await
            .handles
            .iter()
            .map(|h| h.state().borrow().clone())
            .collect()
    }

    /// Tick packets received over all connections so far.
    pub async fn packets(&self) -> u64 {
        self.inner
            .lock()
            .await
            .handles
            .iter()
            .map(|h| h.stats().packets.load(std::sync::atomic::Ordering::Relaxed))
            .sum()
    }

    pub async fn subscribed(&self) -> usize {
        self.inner.lock().await.owner.len()
    }
}
