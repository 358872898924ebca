//! The subscription manager: browsers, watchlists, levels and alerts each say what they need
//! (by owner), and the live feed follows the union, in the widest mode anyone asked for.
//! Changes reach the feed in the order they were decided (the lock covers both).

use std::sync::{Arc, Mutex, MutexGuard};

use super::interests::{FeedFull, Interests};
use crate::model::{FeedMode, InstrumentToken};
use crate::ports::MarketFeed;

pub struct FeedSubscriptions {
    interests: Mutex<Interests>,
    feed: Arc<dyn MarketFeed>,
}

impl FeedSubscriptions {
    pub fn new(feed: Arc<dyn MarketFeed>) -> Self {
        Self {
            interests: Mutex::new(Interests::new(feed.capacity())),
            feed,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Interests> {
        self.interests.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces what `owner` needs. Refused, changing nothing, when the feed cannot take it.
    pub fn set(
        &self,
        owner: &str,
        tokens: impl IntoIterator<Item = InstrumentToken>,
        mode: FeedMode,
    ) -> Result<(), FeedFull> {
        let mut interests = self.lock();
        let change = interests.set(owner, tokens.into_iter().map(|t| (t, mode)))?;
        if !change.is_empty() {
            self.feed.apply(change);
        }
        Ok(())
    }

    pub fn release(&self, owner: &str) {
        let mut interests = self.lock();
        let change = interests.remove(owner);
        if !change.is_empty() {
            self.feed.apply(change);
        }
    }

    /// Instruments followed now.
    pub fn followed(&self) -> usize {
        self.lock().followed()
    }

    pub fn mode_of(&self, token: InstrumentToken) -> Option<FeedMode> {
        self.lock().effective(token)
    }
}
