//! Levels and their audit log in the database (`levels`, `level_events`). Storage only: what
//! makes a level valid and when it fires are the core's rules. The definition is kept whole as
//! JSON; `armed` is its own column so a trigger is a compare-and-set (`WHERE armed`), written
//! with its log entry and its pending order intent in one transaction.

use super::{BeginWrite, failed, first_row};
use async_trait::async_trait;
use osp_core::model::{
    Direction, LastTrigger, Level, LevelId, LevelLogEntry, LevelLogKind, OrderIntent, Price,
    StoredLevel,
};
use osp_core::ports::{LevelStore, StoreError};

use super::Database;
use super::intents::{request_json, state_text};
use crate::on_pool;

type Row = (i64, String, bool, bool, Option<String>, i64, i64);
type LogRow = (i64, i64, String, Option<String>, i64, i64, String);

const COLUMNS: &str = "id, spec, enabled, armed, last_trigger, created_ms, updated_ms";
const LOG_COLUMNS: &str = "id, level_id, kind, direction, price_raw, at_ms, detail";

/// What this store's errors name.
const WHAT: &str = "the level";

fn from_row(row: Row) -> Result<StoredLevel, StoreError> {
    let (id, spec, enabled, armed, last_trigger, created_ms, updated_ms) = row;
    let mut level: Level = serde_json::from_str(&spec).map_err(|e| {
        StoreError::unreadable(
            WHAT,
            format!("level {id} holds an unreadable definition: {e}"),
        )
    })?;
    level.id = LevelId(id);
    level.enabled = enabled;
    let last_trigger = last_trigger
        .map(|t| serde_json::from_str::<LastTrigger>(&t))
        .transpose()
        .map_err(|e| {
            StoreError::unreadable(
                WHAT,
                format!("level {id} holds an unreadable last trigger: {e}"),
            )
        })?;
    Ok(StoredLevel {
        level,
        armed,
        last_trigger,
        created_ms,
        updated_ms,
    })
}

fn spec_json(level: &Level) -> Result<String, StoreError> {
    serde_json::to_string(level)
        .map_err(|e| StoreError::unreadable(WHAT, format!("cannot encode the level: {e}")))
}

fn kind_text(kind: LevelLogKind) -> &'static str {
    match kind {
        LevelLogKind::Crossed => "crossed",
        LevelLogKind::Cancelled => "cancelled",
        LevelLogKind::Triggered => "triggered",
        LevelLogKind::OrderPlaced => "order_placed",
        LevelLogKind::OrderFailed => "order_failed",
        LevelLogKind::Skipped => "skipped",
        LevelLogKind::Rearmed => "rearmed",
    }
}

fn parse_kind(text: &str) -> Option<LevelLogKind> {
    Some(match text {
        "crossed" => LevelLogKind::Crossed,
        "cancelled" => LevelLogKind::Cancelled,
        "triggered" => LevelLogKind::Triggered,
        "order_placed" => LevelLogKind::OrderPlaced,
        "order_failed" => LevelLogKind::OrderFailed,
        "skipped" => LevelLogKind::Skipped,
        "rearmed" => LevelLogKind::Rearmed,
        _ => return None,
    })
}

fn direction_text(direction: Option<Direction>) -> Option<&'static str> {
    direction.map(|d| match d {
        Direction::Up => "up",
        Direction::Down => "down",
    })
}

fn from_log_row(row: LogRow) -> Result<LevelLogEntry, StoreError> {
    let (id, level, kind, direction, price, at_ms, detail) = row;
    Ok(LevelLogEntry {
        id,
        level: LevelId(level),
        kind: parse_kind(&kind).ok_or_else(|| {
            StoreError::unreadable(
                WHAT,
                format!("level log entry {id} has an unknown kind '{kind}'"),
            )
        })?,
        direction: match direction.as_deref() {
            None => None,
            Some("up") => Some(Direction::Up),
            Some("down") => Some(Direction::Down),
            Some(other) => {
                return Err(StoreError::unreadable(
                    WHAT,
                    format!("level log entry {id} has an unknown direction '{other}'"),
                ));
            }
        },
        price: Price::from_raw(price),
        at_ms,
        detail,
    })
}

/// Appends `entry` to the log on `executor` (a pool or a transaction), on either backend.
macro_rules! insert_log {
    ($executor:expr, $entry:expr) => {
        sqlx::query(
            "INSERT INTO level_events (level_id, kind, direction, price_raw, at_ms, detail) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind($entry.level.0)
        .bind(kind_text($entry.kind))
        .bind(direction_text($entry.direction))
        .bind($entry.price.raw())
        .bind($entry.at_ms)
        .bind($entry.detail.as_str())
        .execute($executor)
        .await
        .map_err(failed(WHAT))
        .map(drop)
    };
}

impl Database {
    /// Moves a live level's `armed` from `!armed` to `armed` (as of `at_ms`), appends `entries`
    /// and records `order` (setting its id), in one transaction; `Ok(false)`, writing nothing,
    /// when the level is not in the state to move from. Disarming (a trigger) also needs the
    /// level enabled, and records `last_trigger`.
    async fn flip_armed(
        &self,
        id: LevelId,
        armed: bool,
        last_trigger: Option<String>,
        at_ms: i64,
        entries: &[LevelLogEntry],
        order: Option<&mut OrderIntent>,
    ) -> Result<bool, StoreError> {
        let request = order.as_deref().map(request_json).transpose()?;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await.map_err(failed(WHAT))?;
            let done = sqlx::query(
                "UPDATE levels SET armed = $1, last_trigger = COALESCE($2, last_trigger), \
                 updated_ms = $3 \
                 WHERE id = $4 AND armed = $5 AND (enabled OR $1) AND deleted_ms IS NULL",
            )
            .bind(armed)
            .bind(last_trigger)
            .bind(at_ms)
            .bind(id.0)
            .bind(!armed)
            .execute(&mut *tx)
            .await
            .map_err(failed(WHAT))?
            .rows_affected();
            if done != 1 {
                return Ok(false);
            }
            for entry in entries {
                insert_log!(&mut *tx, entry)?;
            }
            if let (Some(order), Some(request)) = (order, request) {
                // A taken tag rolls the whole trigger back (the level stays armed; the next crossing
                // tries again with a new tag).
                order.id = insert_intent!(&mut *tx, order, request)?
                    .ok_or_else(|| StoreError::unreadable(WHAT, format!("order tag {} is already used", order.request.tag)))?;
            }
            tx.commit().await.map_err(failed(WHAT))?;
            Ok(true)
        })
    }
}

impl Database {
    /// Level `id`, also when deleted if `with_deleted`.
    async fn level_row(
        &self,
        id: LevelId,
        with_deleted: bool,
    ) -> Result<Option<StoredLevel>, StoreError> {
        let only_live = if with_deleted {
            ""
        } else {
            " AND deleted_ms IS NULL"
        };
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM levels WHERE id = $1{only_live}"))
                .bind(id.0)
                .fetch_optional(pool)
                .await
                .map_err(failed(WHAT))?
        });
        row.map(from_row).transpose()
    }
}

#[async_trait]
impl LevelStore for Database {
    async fn levels(&self) -> Result<Vec<StoredLevel>, StoreError> {
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM levels WHERE deleted_ms IS NULL ORDER BY id"
            ))
            .fetch_all(pool)
            .await
            .map_err(failed(WHAT))?
        });
        rows.into_iter().map(from_row).collect()
    }

    async fn level(&self, id: LevelId) -> Result<Option<StoredLevel>, StoreError> {
        self.level_row(id, false).await
    }

    async fn definition(&self, id: LevelId) -> Result<Option<Level>, StoreError> {
        Ok(self.level_row(id, true).await?.map(|s| s.level))
    }

    async fn insert(&self, level: &Level, now_ms: i64) -> Result<StoredLevel, StoreError> {
        self.insert_many(std::slice::from_ref(level), now_ms)
            .await?
            .pop()
            .ok_or_else(|| StoreError::unreadable(WHAT, "the database stored no level".to_owned()))
    }

    async fn insert_many(
        &self,
        levels: &[Level],
        now_ms: i64,
    ) -> Result<Vec<StoredLevel>, StoreError> {
        let specs = levels
            .iter()
            .map(spec_json)
            .collect::<Result<Vec<_>, _>>()?;
        let rows: Vec<Row> = on_pool!(self, pool => {
            let mut tx = pool.begin_write().await.map_err(failed(WHAT))?;
            let mut rows = Vec::with_capacity(levels.len());
            for (level, spec) in levels.iter().zip(specs) {
                let row: Row = sqlx::query_as(&format!(
                    "INSERT INTO levels (instrument_token, tradingsymbol, spec, enabled, armed, \
                     created_ms, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {COLUMNS}"
                ))
                .bind(i64::from(level.token.0))
                .bind(&level.tradingsymbol)
                .bind(spec)
                .bind(level.enabled)
                .bind(true)
                .bind(now_ms)
                .fetch_one(&mut *tx)
                .await
                .map_err(failed(WHAT))?;
                rows.push(row);
            }
            tx.commit().await.map_err(failed(WHAT))?;
            rows
        });
        rows.into_iter().map(from_row).collect()
    }

    async fn update(
        &self,
        level: &Level,
        seen_updated_ms: i64,
        now_ms: i64,
    ) -> Result<Option<StoredLevel>, StoreError> {
        let spec = spec_json(level)?;
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "UPDATE levels SET instrument_token = $1, tradingsymbol = $2, spec = $3, \
                 enabled = $4, armed = $5, updated_ms = $6 \
                 WHERE id = $7 AND deleted_ms IS NULL AND updated_ms = $8 RETURNING {COLUMNS}"
            ))
            .bind(i64::from(level.token.0))
            .bind(&level.tradingsymbol)
            .bind(spec)
            .bind(level.enabled)
            .bind(true)
            .bind(now_ms)
            .bind(level.id.0)
            .bind(seen_updated_ms)
            .fetch_all(pool)
            .await
            .map(first_row)
            .map_err(failed(WHAT))?
        });
        row.map(from_row).transpose()
    }

    async fn set_enabled(
        &self,
        id: LevelId,
        enabled: bool,
        now_ms: i64,
    ) -> Result<Option<StoredLevel>, StoreError> {
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "UPDATE levels SET enabled = $1, updated_ms = $2 \
                 WHERE id = $3 AND deleted_ms IS NULL RETURNING {COLUMNS}"
            ))
            .bind(enabled)
            .bind(now_ms)
            .bind(id.0)
            .fetch_all(pool)
            .await
            .map(first_row)
            .map_err(failed(WHAT))?
        });
        row.map(from_row).transpose()
    }

    async fn delete(&self, id: LevelId, now_ms: i64) -> Result<bool, StoreError> {
        let done = on_pool!(self, pool => {
            sqlx::query("UPDATE levels SET deleted_ms = $1 WHERE id = $2 AND deleted_ms IS NULL")
                .bind(now_ms)
                .bind(id.0)
                .execute(pool)
                .await
                .map_err(failed(WHAT))?
                .rows_affected()
        });
        Ok(done == 1)
    }

    async fn restore(&self, id: LevelId, now_ms: i64) -> Result<Option<StoredLevel>, StoreError> {
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "UPDATE levels SET deleted_ms = NULL, updated_ms = $1 \
                 WHERE id = $2 AND deleted_ms IS NOT NULL RETURNING {COLUMNS}"
            ))
            .bind(now_ms)
            .bind(id.0)
            .fetch_all(pool)
            .await
            .map(first_row)
            .map_err(failed(WHAT))?
        });
        row.map(from_row).transpose()
    }

    async fn record_trigger(
        &self,
        id: LevelId,
        trigger: LastTrigger,
        entries: &[LevelLogEntry],
        order: Option<&mut OrderIntent>,
    ) -> Result<bool, StoreError> {
        let at_ms = trigger.at_ms;
        let trigger = serde_json::to_string(&trigger)
            .map_err(|e| StoreError::unreadable(WHAT, format!("cannot encode the trigger: {e}")))?;
        self.flip_armed(id, false, Some(trigger), at_ms, entries, order)
            .await
    }

    async fn record_rearm(&self, id: LevelId, entry: &LevelLogEntry) -> Result<bool, StoreError> {
        self.flip_armed(
            id,
            true,
            None,
            entry.at_ms,
            std::slice::from_ref(entry),
            None,
        )
        .await
    }

    async fn append_log(&self, entry: &LevelLogEntry) -> Result<(), StoreError> {
        on_pool!(self, pool => insert_log!(pool, entry))
    }

    async fn log(
        &self,
        level: Option<LevelId>,
        limit: u32,
    ) -> Result<Vec<LevelLogEntry>, StoreError> {
        let rows: Vec<LogRow> = on_pool!(self, pool => {
            match level {
                Some(id) => sqlx::query_as(&format!(
                    "SELECT {LOG_COLUMNS} FROM level_events WHERE level_id = $1 \
                     ORDER BY id DESC LIMIT $2"
                ))
                .bind(id.0)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
                .map_err(failed(WHAT))?,
                None => sqlx::query_as(&format!(
                    "SELECT {LOG_COLUMNS} FROM level_events ORDER BY id DESC LIMIT $1"
                ))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
                .map_err(failed(WHAT))?,
            }
        });
        rows.into_iter().map(from_log_row).collect()
    }
}
