//! Watchlists: several per user, named and ordered, persisted through `WatchlistStore`. The rules
//! live here: names, limits, duplicates, that an instrument exists; and the live feed follows
//! every instrument on a user's lists (quote mode) so a list shows prices the moment it opens.

use crate::services::service_error::ServiceError;
use std::sync::Arc;

use crate::model::{FeedMode, InstrumentToken, Watchlist, WatchlistItem};
use crate::ports::{StoreError, WatchlistStore};
use crate::services::instruments::InstrumentCatalog;
use crate::services::prices::FeedSubscriptions;

pub const MAX_LISTS: usize = 10;
pub const MAX_ITEMS: usize = 50;
pub const MAX_NAME_CHARS: usize = 32;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WatchlistError {
    #[error("{0}")]
    Invalid(String),
    #[error("no such watchlist; reload the page to see your current lists")]
    NotFound,
    #[error("watchlists are unavailable right now: {0}")]
    Unavailable(String),
    /// A store port failed (conflict, not found, unavailable), its kind kept.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How the outside is told of it.
impl From<WatchlistError> for ServiceError {
    fn from(e: WatchlistError) -> Self {
        match e {
            WatchlistError::Invalid(message) => ServiceError::Refused(message),
            WatchlistError::NotFound => {
                ServiceError::NotFound("that watchlist (reload the page)".to_owned())
            }
            unavailable @ WatchlistError::Unavailable(_) => ServiceError::fault(unavailable),
            WatchlistError::Store(e) => ServiceError::Store(e),
        }
    }
}

pub struct WatchlistService {
    store: Arc<dyn WatchlistStore>,
    catalog: Arc<InstrumentCatalog>,
    subscriptions: Arc<FeedSubscriptions>,
    /// What a user's first list holds.
    starter: Vec<InstrumentToken>,
}

/// How often an edit is read again when another one changed the list first.
const EDIT_ATTEMPTS: usize = 8;

fn unavailable(error: StoreError) -> WatchlistError {
    WatchlistError::Store(error)
}

fn clean_name(name: &str) -> Result<String, WatchlistError> {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(WatchlistError::Invalid(
            "give the watchlist a name".to_owned(),
        ));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(WatchlistError::Invalid(format!(
            "a watchlist name has at most {MAX_NAME_CHARS} characters"
        )));
    }
    Ok(name)
}

impl WatchlistService {
    pub fn new(
        store: Arc<dyn WatchlistStore>,
        catalog: Arc<InstrumentCatalog>,
        subscriptions: Arc<FeedSubscriptions>,
        starter: Vec<InstrumentToken>,
    ) -> Self {
        Self {
            store,
            catalog,
            subscriptions,
            starter,
        }
    }

    fn feed_owner(owner: &str) -> String {
        format!("watchlists:{owner}")
    }

    /// Makes the feed follow exactly what `lists` hold.
    fn follow(&self, owner: &str, lists: &[Watchlist]) -> Result<(), WatchlistError> {
        self.subscriptions
            .set(
                &Self::feed_owner(owner),
                lists.iter().flat_map(|l| l.items.iter().map(|i| i.token)),
                FeedMode::Quote,
            )
            .map_err(|e| WatchlistError::Invalid(e.to_string()))
    }

    /// The owner's lists; a first-time user gets one, filled with the starter instruments.
    pub async fn lists(&self, owner: &str) -> Result<Vec<Watchlist>, WatchlistError> {
        let mut lists = self.store.lists(owner).await.map_err(unavailable)?;
        if lists.is_empty() {
            let items: Vec<WatchlistItem> = self
                .starter
                .iter()
                .filter_map(|t| self.item(*t).ok())
                .collect();
            // Before the first instruments list (a new paper or live installation until Kite is
            // connected) the starter instruments are unknown: the first list is made on a visit
            // after they are, not now and empty for good.
            if items.is_empty() && !self.starter.is_empty() {
                return Ok(lists);
            }
            // A second first visit (another tab) may have created it a moment ago: then the
            // name is taken and the list is there to use.
            let created = self.store.create(owner, "Watchlist 1").await;
            if let Ok(id) = created {
                self.store
                    .set_items(owner, id, &items)
                    .await
                    .map_err(unavailable)?;
            }
            lists = self.store.lists(owner).await.map_err(unavailable)?;
            if lists.is_empty() {
                return Err(unavailable(created.err().unwrap_or_else(|| {
                    StoreError::not_found("the first watchlist (it could not be created)")
                })));
            }
        }
        // Best effort: a full feed must not hide the lists themselves (adding to a list is
        // where the limit is reported).
        let _ = self.follow(owner, &lists);
        Ok(lists)
    }

    fn item(&self, token: InstrumentToken) -> Result<WatchlistItem, WatchlistError> {
        let instrument = self.catalog.get(token).ok_or_else(|| {
            WatchlistError::Invalid(format!(
                "instrument {} is not in today's instruments list; search for it again",
                token.0
            ))
        })?;
        Ok(WatchlistItem {
            token,
            exchange: instrument.exchange,
            tradingsymbol: instrument.tradingsymbol,
        })
    }

    pub async fn create(&self, owner: &str, name: &str) -> Result<Watchlist, WatchlistError> {
        let name = clean_name(name)?;
        let lists = self.store.lists(owner).await.map_err(unavailable)?;
        if lists.len() >= MAX_LISTS {
            return Err(WatchlistError::Invalid(format!(
                "you can have at most {MAX_LISTS} watchlists; delete one first"
            )));
        }
        if lists.iter().any(|l| l.name.eq_ignore_ascii_case(&name)) {
            return Err(WatchlistError::Invalid(format!(
                "you already have a watchlist named '{name}'"
            )));
        }
        let id = self.store.create(owner, &name).await.map_err(unavailable)?;
        Ok(Watchlist {
            id,
            name,
            items: Vec::new(),
        })
    }

    pub async fn rename(&self, owner: &str, id: i64, name: &str) -> Result<(), WatchlistError> {
        let name = clean_name(name)?;
        let lists = self.store.lists(owner).await.map_err(unavailable)?;
        if lists
            .iter()
            .any(|l| l.id != id && l.name.eq_ignore_ascii_case(&name))
        {
            return Err(WatchlistError::Invalid(format!(
                "you already have a watchlist named '{name}'"
            )));
        }
        match self
            .store
            .rename(owner, id, &name)
            .await
            .map_err(unavailable)?
        {
            true => Ok(()),
            false => Err(WatchlistError::NotFound),
        }
    }

    pub async fn delete(&self, owner: &str, id: i64) -> Result<(), WatchlistError> {
        let lists = self.store.lists(owner).await.map_err(unavailable)?;
        if !lists.iter().any(|l| l.id == id) {
            return Err(WatchlistError::NotFound);
        }
        if lists.len() == 1 {
            return Err(WatchlistError::Invalid(
                "keep at least one watchlist; empty this one instead".to_owned(),
            ));
        }
        self.store.delete(owner, id).await.map_err(unavailable)?;
        let rest: Vec<Watchlist> = lists.into_iter().filter(|l| l.id != id).collect();
        // Deleting only narrows what the feed follows, which is never refused.
        let _ = self.follow(owner, &rest);
        Ok(())
    }

    /// Changes one list's items with `edit`, checks the result, makes sure the feed can follow
    /// it, then stores it. Nothing is stored when any step refuses.
    async fn edit_items(
        &self,
        owner: &str,
        id: i64,
        edit: impl Fn(&mut Vec<WatchlistItem>) -> Result<(), WatchlistError>,
    ) -> Result<Watchlist, WatchlistError> {
        // Two edits at once (quick adds from one page, two tabs) must both land: the write
        // goes through only if the list is still what this edit read, else it is read again.
        for _ in 0..EDIT_ATTEMPTS {
            let mut lists = self.store.lists(owner).await.map_err(unavailable)?;
            let at = lists
                .iter()
                .position(|l| l.id == id)
                .ok_or(WatchlistError::NotFound)?;
            let before = lists[at].items.clone();
            edit(&mut lists[at].items)?;
            self.follow(owner, &lists)?;
            let list = lists[at].clone();
            match self
                .store
                .replace_items(owner, id, &before, &list.items)
                .await
            {
                Ok(Some(true)) => return Ok(list),
                Ok(Some(false)) => return Err(WatchlistError::NotFound),
                Ok(None) => continue,
                Err(e) => {
                    // Back to what is stored.
                    if let Ok(stored) = self.store.lists(owner).await {
                        let _ = self.follow(owner, &stored);
                    }
                    return Err(unavailable(e));
                }
            }
        }
        Err(unavailable(StoreError::conflict(
            "the watchlist (it kept changing while this edit was saved)",
        )))
    }

    pub async fn add(
        &self,
        owner: &str,
        id: i64,
        token: InstrumentToken,
    ) -> Result<Watchlist, WatchlistError> {
        let item = self.item(token)?;
        self.edit_items(owner, id, |items| {
            if items.iter().any(|i| i.token == token) {
                return Err(WatchlistError::Invalid(format!(
                    "{} is already on this watchlist",
                    item.tradingsymbol
                )));
            }
            if items.len() >= MAX_ITEMS {
                return Err(WatchlistError::Invalid(format!(
                    "a watchlist holds at most {MAX_ITEMS} instruments; start another one"
                )));
            }
            items.push(item.clone());
            Ok(())
        })
        .await
    }

    pub async fn remove(
        &self,
        owner: &str,
        id: i64,
        token: InstrumentToken,
    ) -> Result<Watchlist, WatchlistError> {
        self.edit_items(owner, id, |items| {
            let before = items.len();
            items.retain(|i| i.token != token);
            if items.len() == before {
                return Err(WatchlistError::Invalid(
                    "that instrument is not on this watchlist".to_owned(),
                ));
            }
            Ok(())
        })
        .await
    }

    /// Moves an item to position `to` (0 = top; past the end = bottom).
    pub async fn reorder(
        &self,
        owner: &str,
        id: i64,
        token: InstrumentToken,
        to: usize,
    ) -> Result<Watchlist, WatchlistError> {
        self.edit_items(owner, id, |items| {
            let from = items.iter().position(|i| i.token == token).ok_or_else(|| {
                WatchlistError::Invalid("that instrument is not on this watchlist".to_owned())
            })?;
            let item = items.remove(from);
            items.insert(to.min(items.len()), item);
            Ok(())
        })
        .await
    }
}
