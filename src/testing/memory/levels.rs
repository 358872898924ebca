//! Levels and their audit log in memory, as the database keeps them: a deleted level is kept
//! (for its definition and an undo), and a trigger disarms its level, logs it and records its
//! order in one write — only if the level is still armed, enabled and not deleted.

use async_trait::async_trait;

use crate::model::{LastTrigger, Level, LevelId, LevelLogEntry, OrderIntent, StoredLevel};
use crate::ports::{LevelStore, StoreError};

use super::MemoryStore;

#[derive(Default)]
pub(super) struct LevelTable {
    rows: Vec<Row>,
    log: Vec<LevelLogEntry>,
    /// Writes that appended to the log (each one transaction, one commit, in the database).
    writes: u64,
}

struct Row {
    stored: StoredLevel,
    deleted: bool,
}

impl MemoryStore {
    /// How many writes appended to the levels' log so far (a test counts the commits a
    /// crossing costs before its order goes).
    pub fn level_log_writes(&self) -> u64 {
        self.tables().levels.writes
    }
}

impl LevelTable {
    fn live(&mut self, id: LevelId) -> Option<&mut Row> {
        self.rows
            .iter_mut()
            .find(|r| r.stored.level.id == id && !r.deleted)
    }

    fn append(&mut self, entry: &LevelLogEntry) {
        let mut entry = entry.clone();
        entry.id = self.log.len() as i64 + 1;
        self.log.push(entry);
    }
}

#[async_trait]
impl LevelStore for MemoryStore {
    async fn levels(&self) -> Result<Vec<StoredLevel>, StoreError> {
        let tables = self.tables();
        Ok(tables
            .levels
            .rows
            .iter()
            .filter(|r| !r.deleted)
            .map(|r| r.stored.clone())
            .collect())
    }

    async fn level(&self, id: LevelId) -> Result<Option<StoredLevel>, StoreError> {
        Ok(self.tables().levels.live(id).map(|r| r.stored.clone()))
    }

    async fn definition(&self, id: LevelId) -> Result<Option<Level>, StoreError> {
        let tables = self.tables();
        Ok(tables
            .levels
            .rows
            .iter()
            .find(|r| r.stored.level.id == id)
            .map(|r| r.stored.level.clone()))
    }

    async fn insert(&self, level: &Level, now_ms: i64) -> Result<StoredLevel, StoreError> {
        let mut stored = self
            .insert_many(std::slice::from_ref(level), now_ms)
            .await?;
        stored
            .pop()
            .ok_or_else(|| StoreError::not_found("the stored level"))
    }

    async fn insert_many(
        &self,
        levels: &[Level],
        now_ms: i64,
    ) -> Result<Vec<StoredLevel>, StoreError> {
        let mut tables = self.tables();
        let rows = &mut tables.levels.rows;
        let mut stored = Vec::with_capacity(levels.len());
        for level in levels {
            let mut level = level.clone();
            level.id = LevelId(rows.len() as i64 + 1);
            let row = StoredLevel {
                level,
                armed: true,
                last_trigger: None,
                created_ms: now_ms,
                updated_ms: now_ms,
            };
            stored.push(row.clone());
            rows.push(Row {
                stored: row,
                deleted: false,
            });
        }
        Ok(stored)
    }

    async fn update(
        &self,
        level: &Level,
        seen_updated_ms: i64,
        now_ms: i64,
    ) -> Result<Option<StoredLevel>, StoreError> {
        let mut tables = self.tables();
        let live = tables.levels.live(level.id);
        Ok(live
            .filter(|row| row.stored.updated_ms == seen_updated_ms)
            .map(|row| {
                row.stored.level = level.clone();
                row.stored.armed = true;
                row.stored.updated_ms = now_ms;
                row.stored.clone()
            }))
    }

    async fn set_enabled(
        &self,
        id: LevelId,
        enabled: bool,
        now_ms: i64,
    ) -> Result<Option<StoredLevel>, StoreError> {
        let mut tables = self.tables();
        Ok(tables.levels.live(id).map(|row| {
            row.stored.level.enabled = enabled;
            row.stored.updated_ms = now_ms;
            row.stored.clone()
        }))
    }

    async fn delete(&self, id: LevelId, _now_ms: i64) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        Ok(tables
            .levels
            .live(id)
            .map(|row| row.deleted = true)
            .is_some())
    }

    async fn restore(&self, id: LevelId, now_ms: i64) -> Result<Option<StoredLevel>, StoreError> {
        let mut tables = self.tables();
        Ok(tables
            .levels
            .rows
            .iter_mut()
            .find(|r| r.stored.level.id == id && r.deleted)
            .map(|row| {
                row.deleted = false;
                row.stored.updated_ms = now_ms;
                row.stored.clone()
            }))
    }

    async fn record_trigger(
        &self,
        id: LevelId,
        trigger: LastTrigger,
        entries: &[LevelLogEntry],
        order: Option<&mut OrderIntent>,
    ) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        match tables.levels.live(id) {
            Some(row) if row.stored.armed && row.stored.level.enabled => {}
            _ => return Ok(false),
        }
        if let Some(order) = order {
            // A taken tag rolls the whole trigger back, as the database's transaction does.
            order.id = tables.insert_intent(order).ok_or_else(|| {
                StoreError::conflict(format!("order tag {}", order.request.tag.as_str()))
            })?;
        }
        let row = tables
            .levels
            .live(id)
            .ok_or_else(|| StoreError::not_found("the level"))?;
        row.stored.armed = false;
        row.stored.last_trigger = Some(trigger);
        row.stored.updated_ms = trigger.at_ms;
        for entry in entries {
            tables.levels.append(entry);
        }
        tables.levels.writes += 1;
        Ok(true)
    }

    async fn record_rearm(&self, id: LevelId, entry: &LevelLogEntry) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        match tables.levels.live(id) {
            Some(row) if !row.stored.armed => {
                row.stored.armed = true;
                row.stored.updated_ms = entry.at_ms;
            }
            _ => return Ok(false),
        }
        tables.levels.append(entry);
        tables.levels.writes += 1;
        Ok(true)
    }

    async fn append_log(&self, entry: &LevelLogEntry) -> Result<(), StoreError> {
        let mut tables = self.tables();
        tables.levels.append(entry);
        tables.levels.writes += 1;
        Ok(())
    }

    async fn log(
        &self,
        level: Option<LevelId>,
        limit: u32,
    ) -> Result<Vec<LevelLogEntry>, StoreError> {
        let tables = self.tables();
        Ok(tables
            .levels
            .log
            .iter()
            .rev()
            .filter(|e| level.is_none_or(|id| e.level == id))
            .take(limit as usize)
            .cloned()
            .collect())
    }
}
