//! `FeedChange`: instructions that move a live feed from one set of subscriptions to another.

use super::{FeedMode, InstrumentToken};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeedChange {
    /// Tokens to subscribe, or to move to another mode.
    pub subscribe: Vec<(InstrumentToken, FeedMode)>,
    pub unsubscribe: Vec<InstrumentToken>,
}

impl FeedChange {
    pub fn is_empty(&self) -> bool {
        self.subscribe.is_empty() && self.unsubscribe.is_empty()
    }
}
