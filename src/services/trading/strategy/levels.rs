//! `LevelService`: the trader's levels — list, create, edit, enable/disable, delete and undo,
//! and each level's audit log. A draft is parsed and checked against today's instrument before
//! anything is stored; what is stored is what the level trader then watches.

use crate::model::FieldProblem;
use crate::services::service_error::{ServiceError, by_row};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::model::{InstrumentToken, LevelId, LevelLogEntry, StateChange, StoredLevel};
use crate::ports::{ChangeNotifier, Clock, LevelStore, StoreError};
use crate::services::announcer::Announcer;
use crate::services::instruments::InstrumentCatalog;

use super::level_draft::LevelDraft;
use super::level_trader::{LevelPhase, LevelSeen, LevelTrader};

/// Most levels one account keeps (the feed follows their instruments; Kite caps it at 9000).
pub const MAX_LEVELS: usize = 1_000;
/// Most log entries one request returns.
pub const MAX_LOG_ENTRIES: u32 = 500;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LevelError {
    #[error("the level has problems: {}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldProblem>),
    /// Problems of an import, by the row they are on (the file's line number); nothing was
    /// stored.
    #[error("the file has problems: {}", .0.iter().map(|(row, p)| format!("row {row}: {}", p.message)).collect::<Vec<_>>().join("; "))]
    InvalidRows(Vec<(usize, FieldProblem)>),
    #[error("{0}")]
    Refused(String),
    #[error("no such level; reload the page to see your current levels")]
    NotFound,
    #[error("levels are unavailable right now: {0}")]
    Unavailable(String),
    /// A store port failed (conflict, not found, unavailable), its kind kept.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How the outside is told of it.
impl From<LevelError> for ServiceError {
    fn from(e: LevelError) -> Self {
        match e {
            LevelError::Invalid(problems) => ServiceError::Invalid(problems),
            LevelError::InvalidRows(problems) => ServiceError::Invalid(by_row(problems)),
            LevelError::Refused(message) => ServiceError::Refused(message),
            LevelError::NotFound => {
                ServiceError::NotFound("that level (reload the page)".to_owned())
            }
            unavailable @ LevelError::Unavailable(_) => ServiceError::fault(unavailable),
            LevelError::Store(e) => ServiceError::Store(e),
        }
    }
}

/// Why an edit of `now` was not saved: the level changed after the form was opened.
fn changed_while_editing(now: &StoredLevel) -> String {
    let what = match (&now.last_trigger, now.armed) {
        (Some(t), false) => format!(
            "it triggered at {} ({} IST)",
            t.price.format_indian(),
            crate::services::trading::clock_text(
                crate::services::market_calendar::ist_minute_of_day(t.at_ms)
            )
        ),
        _ => "someone saved it, or it was armed again".to_owned(),
    };
    format!(
        "level #{} changed while you were editing it — {what} — so the edit was not saved \
         (saving would arm it again for another order). Look at it again, then edit it if you \
         still want it armed.",
        now.level.id.0
    )
}

/// A level with where it stands now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelView {
    pub stored: StoredLevel,
    pub phase: LevelPhase,
    /// The last price of its instrument the monitor worked through (where it is watched from).
    #[serde(default)]
    pub seen: Option<LevelSeen>,
}

pub struct LevelService {
    store: Arc<dyn LevelStore>,
    catalog: Arc<InstrumentCatalog>,
    trader: Arc<LevelTrader>,
    clock: Arc<dyn Clock>,
    /// Told of every write, for the processes that watch levels apart from this one.
    changes: Announcer,
}

impl LevelService {
    pub fn new(
        store: Arc<dyn LevelStore>,
        catalog: Arc<InstrumentCatalog>,
        trader: Arc<LevelTrader>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            catalog,
            trader,
            clock,
            changes: Announcer::default(),
        }
    }

    /// Every stored change is announced to `changes` (the workers run in another process).
    pub fn with_changes(mut self, changes: Arc<dyn ChangeNotifier>) -> Self {
        self.changes = Announcer::to(changes);
        self
    }

    fn announce(&self) {
        self.changes.tell(StateChange::Levels);
    }

    fn view(&self, stored: StoredLevel) -> LevelView {
        LevelView {
            phase: self.trader.phase(&stored),
            seen: self.trader.seen(stored.level.token),
            stored,
        }
    }

    /// The trader watches what was stored; if the feed refuses its instrument the level is
    /// kept (the trader may delete or disable it), and the reason is returned.
    fn watch(&self, stored: StoredLevel) -> Result<LevelView, LevelError> {
        self.trader.watch(&stored).map_err(|e| {
            LevelError::Refused(format!(
                "the level was saved but its prices cannot be followed: {e}"
            ))
        })?;
        Ok(self.view(stored))
    }

    /// Refuses `adding` more levels when the account would pass `MAX_LEVELS`.
    async fn ensure_room(&self, adding: usize) -> Result<(), LevelError> {
        let count = self.store.levels().await.map_err(LevelError::Store)?.len();
        if count + adding > MAX_LEVELS {
            return Err(LevelError::Refused(format!(
                "you have {count} levels and this adds {adding}; one account keeps at most \
                 {MAX_LEVELS}: delete some first"
            )));
        }
        Ok(())
    }

    pub async fn list(&self) -> Result<Vec<LevelView>, LevelError> {
        let stored = self.store.levels().await.map_err(LevelError::Store)?;
        Ok(stored.into_iter().map(|s| self.view(s)).collect())
    }

    pub async fn create(&self, draft: &LevelDraft) -> Result<LevelView, LevelError> {
        let instrument = self.catalog.get(InstrumentToken(draft.token));
        let level = draft
            .parse(LevelId(0), instrument.as_ref())
            .map_err(LevelError::Invalid)?;
        self.ensure_room(1).await?;
        let stored = self
            .store
            .insert(&level, self.clock.now_ms())
            .await
            .map_err(LevelError::Store)?;
        self.announce();
        self.watch(stored)
    }

    /// Creates every level of an import (`rows`: each draft with the line it came from), all or
    /// nothing: any row's problem refuses the whole file, naming the row and the field.
    pub async fn import(&self, rows: &[(usize, LevelDraft)]) -> Result<Vec<LevelView>, LevelError> {
        if rows.is_empty() {
            return Err(LevelError::Refused(
                "the file holds no levels (only a header, or nothing)".to_owned(),
            ));
        }
        let mut levels = Vec::with_capacity(rows.len());
        let mut problems = Vec::new();
        for (row, draft) in rows {
            let instrument = self.catalog.get(InstrumentToken(draft.token));
            match draft.parse(LevelId(0), instrument.as_ref()) {
                Ok(level) => levels.push(level),
                Err(found) => problems.extend(found.into_iter().map(|p| (*row, p))),
            }
        }
        if !problems.is_empty() {
            return Err(LevelError::InvalidRows(problems));
        }
        self.ensure_room(levels.len()).await?;
        let stored = self
            .store
            .insert_many(&levels, self.clock.now_ms())
            .await
            .map_err(LevelError::Store)?;
        self.announce();
        stored.into_iter().map(|s| self.watch(s)).collect()
    }

    /// Replaces a level's definition; it is armed again, as a new level would be. Only the
    /// level as the editor saw it (`seen_updated_ms`, its `updated_ms` then): one that
    /// triggered meanwhile is not armed again behind the trader's back — that would place a
    /// second order at the next crossing.
    pub async fn update(
        &self,
        id: LevelId,
        draft: &LevelDraft,
        seen_updated_ms: i64,
    ) -> Result<LevelView, LevelError> {
        let instrument = self.catalog.get(InstrumentToken(draft.token));
        let level = draft
            .parse(id, instrument.as_ref())
            .map_err(LevelError::Invalid)?;
        let updated = self
            .store
            .update(&level, seen_updated_ms, self.clock.now_ms())
            .await
            .map_err(LevelError::Store)?;
        let Some(stored) = updated else {
            let now = self.store.level(id).await.map_err(LevelError::Store)?;
            return Err(match now {
                None => LevelError::NotFound,
                Some(now) => LevelError::Refused(changed_while_editing(&now)),
            });
        };
        self.announce();
        self.watch(stored)
    }

    pub async fn set_enabled(&self, id: LevelId, enabled: bool) -> Result<LevelView, LevelError> {
        let stored = self
            .store
            .set_enabled(id, enabled, self.clock.now_ms())
            .await
            .map_err(LevelError::Store)?
            .ok_or(LevelError::NotFound)?;
        self.announce();
        self.watch(stored)
    }

    /// Deletes a level (it stops watching at once); `restore` undoes it.
    pub async fn delete(&self, id: LevelId) -> Result<(), LevelError> {
        let done = self
            .store
            .delete(id, self.clock.now_ms())
            .await
            .map_err(LevelError::Store)?;
        if !done {
            return Err(LevelError::NotFound);
        }
        self.announce();
        self.trader.forget(id).map_err(LevelError::Refused)
    }

    pub async fn restore(&self, id: LevelId) -> Result<LevelView, LevelError> {
        let stored = self
            .store
            .restore(id, self.clock.now_ms())
            .await
            .map_err(LevelError::Store)?
            .ok_or(LevelError::NotFound)?;
        self.announce();
        self.watch(stored)
    }

    /// The newest log entries (of one level, or of all), newest first.
    pub async fn log(
        &self,
        level: Option<LevelId>,
        limit: u32,
    ) -> Result<Vec<LevelLogEntry>, LevelError> {
        self.store
            .log(level, limit.clamp(1, MAX_LOG_ENTRIES))
            .await
            .map_err(LevelError::Store)
    }
}
