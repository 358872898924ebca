//! `InProcessBus`: the core's `TickBus` inside one process. Subscribers are indexed by the
//! instruments they follow, so a publish touches only the inboxes that want the tick. Each
//! inbox is a `ConflatingQueue` (the newest tick per instrument) behind its own short lock,
//! and a `Notify` wakes its reader: publishing never waits for a subscriber and never grows a
//! queue, however slow the reader.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};

use async_trait::async_trait;
use osp_core::model::{InstrumentToken, Tick};
use osp_core::ports::{Interest, TickBus, TickSubscription};
use osp_core::services::prices::ConflatingQueue;
use tokio::sync::Notify;

struct Inbox {
    id: u64,
    pending: Mutex<ConflatingQueue<InstrumentToken, Tick>>,
    wake: Notify,
    closed: AtomicBool,
}

impl Inbox {
    fn push(&self, tick: &Tick) {
        let was_empty = self
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(tick.token, *tick);
        if was_empty {
            self.wake.notify_one();
        }
    }
}

#[derive(Default)]
struct Registry {
    everything: Vec<Arc<Inbox>>,
    by_token: HashMap<InstrumentToken, Vec<Arc<Inbox>>>,
    /// What each inbox follows, to undo it.
    follows: HashMap<u64, Interest>,
}

impl Registry {
    fn attach(&mut self, inbox: &Arc<Inbox>, interest: Interest) {
        match &interest {
            Interest::All => self.everything.push(inbox.clone()),
            Interest::Only(tokens) => {
                let unique: HashSet<&InstrumentToken> = tokens.iter().collect();
                for token in unique {
                    self.by_token.entry(*token).or_default().push(inbox.clone());
                }
            }
        }
        self.follows.insert(inbox.id, interest);
    }

    fn detach(&mut self, id: u64) {
        match self.follows.remove(&id) {
            Some(Interest::All) => self.everything.retain(|i| i.id != id),
            Some(Interest::Only(tokens)) => {
                for token in tokens {
                    if let Some(inboxes) = self.by_token.get_mut(&token) {
                        inboxes.retain(|i| i.id != id);
                        if inboxes.is_empty() {
                            self.by_token.remove(&token);
                        }
                    }
                }
            }
            None => {}
        }
    }
}

#[derive(Default)]
struct Shared {
    registry: RwLock<Registry>,
    next_id: AtomicU64,
}

/// Cheap to clone; every clone is the same bus.
#[derive(Clone, Default)]
pub struct InProcessBus {
    shared: Arc<Shared>,
}

impl InProcessBus {
    pub fn new() -> Self {
        Self::default()
    }

    /// Subscribers attached now.
    pub fn subscribers(&self) -> usize {
        self.shared
            .registry
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .follows
            .len()
    }

    /// Wakes every subscriber with `None` (shutdown).
    pub fn close(&self) {
        let registry = self
            .shared
            .registry
            .read()
            .unwrap_or_else(|p| p.into_inner());
        let all = registry
            .everything
            .iter()
            .chain(registry.by_token.values().flatten());
        for inbox in all {
            inbox.closed.store(true, Ordering::Release);
            inbox.wake.notify_one();
        }
    }
}

impl TickBus for InProcessBus {
    fn publish(&self, tick: &Tick) {
        let registry = self
            .shared
            .registry
            .read()
            .unwrap_or_else(|p| p.into_inner());
        for inbox in &registry.everything {
            inbox.push(tick);
        }
        if let Some(inboxes) = registry.by_token.get(&tick.token) {
            for inbox in inboxes {
                inbox.push(tick);
            }
        }
    }

    fn subscribe(&self, interest: Interest) -> Box<dyn TickSubscription> {
        let inbox = Arc::new(Inbox {
            id: self.shared.next_id.fetch_add(1, Ordering::Relaxed),
            pending: Mutex::new(ConflatingQueue::default()),
            wake: Notify::new(),
            closed: AtomicBool::new(false),
        });
        self.shared
            .registry
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .attach(&inbox, interest);
        Box::new(Subscription {
            inbox,
            bus: Arc::downgrade(&self.shared),
        })
    }
}

struct Subscription {
    inbox: Arc<Inbox>,
    bus: Weak<Shared>,
}

#[async_trait]
impl TickSubscription for Subscription {
    async fn next_batch(&self) -> Option<Vec<Tick>> {
        loop {
            if self.inbox.closed.load(Ordering::Acquire) || self.bus.strong_count() == 0 {
                return None;
            }
            let batch = self
                .inbox
                .pending
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .drain();
            if !batch.is_empty() {
                return Some(batch);
            }
            // A push between the drain and here leaves a permit, so this returns at once.
            self.inbox.wake.notified().await;
        }
    }

    fn follow(&self, interest: Interest) {
        let Some(shared) = self.bus.upgrade() else {
            return;
        };
        let mut registry = shared.registry.write().unwrap_or_else(|p| p.into_inner());
        registry.detach(self.inbox.id);
        if let Interest::Only(tokens) = &interest {
            let keep: HashSet<InstrumentToken> = tokens.iter().copied().collect();
            self.inbox
                .pending
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|t| keep.contains(t));
        }
        registry.attach(&self.inbox, interest);
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(shared) = self.bus.upgrade() {
            shared
                .registry
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .detach(self.inbox.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use osp_core::model::{Ohlc, Price};
    use std::time::Duration;

    fn tick(token: u32, paise: i64) -> Tick {
        Tick {
            token: InstrumentToken(token),
            last_price: Price::from_paise(paise).unwrap(),
            last_quantity: 1,
            volume: 1,
            ohlc: Ohlc::default(),
            exchange_time_ms: paise,
            depth: None,
        }
    }

    fn only(tokens: &[u32]) -> Interest {
        Interest::Only(tokens.iter().map(|t| InstrumentToken(*t)).collect())
    }

    #[tokio::test]
    async fn each_subscriber_gets_only_what_it_follows() {
        let bus = InProcessBus::new();
        let a = bus.subscribe(only(&[1]));
        let b = bus.subscribe(only(&[2, 1]));
        let all = bus.subscribe(Interest::All);
        for t in [tick(1, 10), tick(2, 20), tick(3, 30)] {
            bus.publish(&t);
        }
        assert_eq!(a.next_batch().await.unwrap(), [tick(1, 10)]);
        assert_eq!(b.next_batch().await.unwrap(), [tick(1, 10), tick(2, 20)]);
        assert_eq!(all.next_batch().await.unwrap().len(), 3);
    }

    #[tokio::test]
    async fn a_slow_subscriber_gets_the_newest_and_does_not_hold_up_a_fast_one() {
        let bus = InProcessBus::new();
        let slow = bus.subscribe(only(&[1]));
        let fast = bus.subscribe(only(&[1]));
        let mut seen = Vec::new();
        for p in 1..=1_000 {
            bus.publish(&tick(1, p));
            seen.extend(fast.next_batch().await.unwrap());
        }
        assert_eq!(seen.len(), 1_000, "the fast reader missed nothing");
        assert_eq!(slow.next_batch().await.unwrap(), [tick(1, 1_000)]);
    }

    #[tokio::test]
    async fn a_waiting_reader_wakes_on_publish_and_on_close() {
        let bus = InProcessBus::new();
        let sub = bus.subscribe(only(&[7]));
        let publisher = bus.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            publisher.publish(&tick(7, 5));
        });
        assert_eq!(sub.next_batch().await.unwrap(), [tick(7, 5)]);
        bus.close();
        assert_eq!(sub.next_batch().await, None);
    }

    #[tokio::test]
    async fn follow_replaces_interest_and_drop_detaches() {
        let bus = InProcessBus::new();
        let sub = bus.subscribe(only(&[1]));
        bus.publish(&tick(1, 1));
        sub.follow(only(&[2]));
        bus.publish(&tick(1, 2));
        bus.publish(&tick(2, 3));
        assert_eq!(
            sub.next_batch().await.unwrap(),
            [tick(2, 3)],
            "pending 1 dropped"
        );
        assert_eq!(bus.subscribers(), 1);
        drop(sub);
        assert_eq!(bus.subscribers(), 0);
        bus.publish(&tick(2, 4));
    }
}
