//! Who needs which instruments on the live feed, and in which mode. The feed follows the union
//! of everyone's needs, each token in the widest mode anyone asked for; a token is dropped when
//! its last owner lets go. Every change returns the exact feed instructions that realise it.

use std::collections::{BTreeMap, HashMap};

use crate::model::{FeedChange, FeedMode, InstrumentToken};

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the live feed can follow at most {limit} instruments and {wanted} are wanted; remove some from watchlists, levels or alerts first"
)]
pub struct FeedFull {
    pub wanted: usize,
    pub limit: usize,
}

#[derive(Debug)]
pub struct Interests {
    capacity: usize,
    by_owner: HashMap<String, HashMap<InstrumentToken, FeedMode>>,
    /// Per token, how many owners want each mode (index = mode).
    counts: HashMap<InstrumentToken, [u32; 3]>,
}

fn slot(mode: FeedMode) -> usize {
    match mode {
        FeedMode::Ltp => 0,
        FeedMode::Quote => 1,
        FeedMode::Full => 2,
    }
}

const MODES: [FeedMode; 3] = [FeedMode::Ltp, FeedMode::Quote, FeedMode::Full];

impl Interests {
    /// At most `capacity` distinct instruments at once.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            by_owner: HashMap::new(),
            counts: HashMap::new(),
        }
    }

    /// The mode the feed must carry `token` in, if anyone wants it.
    pub fn effective(&self, token: InstrumentToken) -> Option<FeedMode> {
        let counts = self.counts.get(&token)?;
        (0..3).rev().find(|i| counts[*i] > 0).map(|i| MODES[i])
    }

    pub fn followed(&self) -> usize {
        self.counts.len()
    }

    pub fn owners(&self) -> usize {
        self.by_owner.len()
    }

    /// Replaces everything `owner` wants. Refused, changing nothing, when the union would
    /// exceed the capacity.
    pub fn set(
        &mut self,
        owner: &str,
        wants: impl IntoIterator<Item = (InstrumentToken, FeedMode)>,
    ) -> Result<FeedChange, FeedFull> {
        // Widest mode per token if the owner listed it twice.
        let mut new: HashMap<InstrumentToken, FeedMode> = HashMap::new();
        for (token, mode) in wants {
            let held = new.entry(token).or_insert(mode);
            *held = (*held).max(mode);
        }
        let old = self.by_owner.get(owner).cloned().unwrap_or_default();
        let added = new
            .keys()
            .filter(|t| !old.contains_key(t) && !self.counts.contains_key(t))
            .count();
        let removed = old
            .keys()
            .filter(|t| {
                !new.contains_key(t)
                    && self
                        .counts
                        .get(t)
                        .is_some_and(|c| c.iter().sum::<u32>() == 1)
            })
            .count();
        let wanted = self.counts.len() + added - removed;
        if added > 0 && wanted > self.capacity {
            return Err(FeedFull {
                wanted,
                limit: self.capacity,
            });
        }
        let mut touched: BTreeMap<InstrumentToken, Option<FeedMode>> = BTreeMap::new();
        for token in old.keys().chain(new.keys()) {
            touched.insert(*token, self.effective(*token));
        }
        for (token, mode) in &old {
            if let Some(counts) = self.counts.get_mut(token) {
                counts[slot(*mode)] -= 1;
                if counts.iter().all(|c| *c == 0) {
                    self.counts.remove(token);
                }
            }
        }
        for (token, mode) in &new {
            self.counts.entry(*token).or_default()[slot(*mode)] += 1;
        }
        if new.is_empty() {
            self.by_owner.remove(owner);
        } else {
            self.by_owner.insert(owner.to_owned(), new);
        }
        let mut change = FeedChange::default();
        for (token, before) in touched {
            match (before, self.effective(token)) {
                (Some(_), None) => change.unsubscribe.push(token),
                (before, Some(after)) if before != Some(after) => {
                    change.subscribe.push((token, after))
                }
                _ => {}
            }
        }
        Ok(change)
    }

    /// Forgets `owner` (a closed browser tab, a deleted watchlist).
    pub fn remove(&mut self, owner: &str) -> FeedChange {
        // Removing never adds instruments, so it cannot exceed the capacity.
        self.set(owner, std::iter::empty()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(n: u32) -> InstrumentToken {
        InstrumentToken(n)
    }

    #[test]
    fn the_first_owner_subscribes_and_the_last_one_unsubscribes() {
        let mut i = Interests::new(10);
        let c = i
            .set("tab-1", [(t(1), FeedMode::Full), (t(2), FeedMode::Full)])
            .unwrap();
        assert_eq!(
            c.subscribe,
            [(t(1), FeedMode::Full), (t(2), FeedMode::Full)]
        );
        let c = i.set("tab-2", [(t(2), FeedMode::Full)]).unwrap();
        assert!(c.is_empty(), "already followed: {c:?}");
        let c = i.remove("tab-1");
        assert_eq!(c.unsubscribe, [t(1)], "2 is still wanted by tab-2");
        let c = i.remove("tab-2");
        assert_eq!(c.unsubscribe, [t(2)]);
        assert_eq!((i.followed(), i.owners()), (0, 0));
    }

    #[test]
    fn the_widest_mode_wins_and_narrows_when_its_owner_leaves() {
        let mut i = Interests::new(10);
        i.set("levels", [(t(5), FeedMode::Ltp)]).unwrap();
        let c = i.set("tab", [(t(5), FeedMode::Full)]).unwrap();
        assert_eq!(c.subscribe, [(t(5), FeedMode::Full)]);
        let c = i.remove("tab");
        assert_eq!(c.subscribe, [(t(5), FeedMode::Ltp)]);
        assert!(c.unsubscribe.is_empty());
    }

    #[test]
    fn over_capacity_is_refused_and_changes_nothing() {
        let mut i = Interests::new(2);
        i.set("a", [(t(1), FeedMode::Ltp), (t(2), FeedMode::Ltp)])
            .unwrap();
        let err = i.set("b", [(t(3), FeedMode::Ltp)]).unwrap_err();
        assert_eq!((err.wanted, err.limit), (3, 2));
        assert_eq!(i.followed(), 2);
        assert_eq!(i.owners(), 1);
        // Swapping one instrument for another within the limit is fine.
        let c = i
            .set("a", [(t(1), FeedMode::Ltp), (t(3), FeedMode::Ltp)])
            .unwrap();
        assert_eq!(c.subscribe, [(t(3), FeedMode::Ltp)]);
        assert_eq!(c.unsubscribe, [t(2)]);
    }

    proptest! {
        /// Replaying every change on a plain map gives exactly the union of what owners hold.
        #[test]
        fn changes_realise_the_union(ops in proptest::collection::vec(
            (0..4usize, proptest::collection::vec((0..12u32, 0..3usize), 0..6)), 1..40)
        ) {
            let mut i = Interests::new(1_000);
            let mut feed: HashMap<InstrumentToken, FeedMode> = HashMap::new();
            let mut owners: HashMap<usize, HashMap<InstrumentToken, FeedMode>> = HashMap::new();
            for (owner, wants) in ops {
                let wants: Vec<_> = wants.into_iter().map(|(tok, m)| (t(tok), MODES[m])).collect();
                let change = i.set(&owner.to_string(), wants.clone()).unwrap();
                for tok in change.unsubscribe { prop_assert!(feed.remove(&tok).is_some()); }
                for (tok, mode) in change.subscribe { feed.insert(tok, mode); }
                let mut mine = HashMap::new();
                for (tok, m) in wants { let e = mine.entry(tok).or_insert(m); *e = (*e).max(m); }
                owners.insert(owner, mine);
                let mut union: HashMap<InstrumentToken, FeedMode> = HashMap::new();
                for held in owners.values() {
                    for (tok, m) in held { let e = union.entry(*tok).or_insert(*m); *e = (*e).max(*m); }
                }
                prop_assert_eq!(&feed, &union);
            }
        }
    }
}
