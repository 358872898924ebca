//! Alerts and their history in the database (`alerts`, `alert_events`). Storage only: what
//! makes an alert valid and when it fires are the core's rules. The definition is kept whole
//! as JSON; `enabled` and `state` are columns so a firing is a compare-and-set (`WHERE state =
//! 'armed' AND enabled`), written with its history entry in one transaction.

use super::{BeginWrite, failed, first_row, only_row};
use async_trait::async_trait;
use osp_core::model::{
    ActiveWindow, Alert, AlertCondition, AlertEvent, AlertId, AlertRepeat, AlertState, Price,
};
use osp_core::ports::{AlertStore, StoreError};
use serde::{Deserialize, Serialize};

use super::Database;
use crate::on_pool;

/// id, spec, enabled, state, last_fired_ms, fired_count, created_by, created_ms, updated_ms
type Row = (
    i64,
    String,
    bool,
    String,
    Option<i64>,
    i64,
    String,
    i64,
    i64,
);
type EventRow = (i64, i64, i64, i64, i64, i64, String);

const COLUMNS: &str =
    "id, spec, enabled, state, last_fired_ms, fired_count, created_by, created_ms, updated_ms";
const EVENT_COLUMNS: &str = "id, alert_id, at_ms, value, target_value, last_price_raw, text";

/// What `spec` holds: the definition, without what the columns keep.
#[derive(Serialize, Deserialize)]
struct Spec {
    condition: AlertCondition,
    repeat: AlertRepeat,
    window: Option<ActiveWindow>,
    note: String,
}

/// What this store's errors name.
const WHAT: &str = "the alert";

fn spec_json(alert: &Alert) -> Result<String, StoreError> {
    serde_json::to_string(&Spec {
        condition: alert.condition.clone(),
        repeat: alert.repeat,
        window: alert.window,
        note: alert.note.clone(),
    })
    .map_err(|e| StoreError::unreadable(WHAT, format!("cannot encode the alert: {e}")))
}

fn from_row(row: Row) -> Result<Alert, StoreError> {
    let (id, spec, enabled, state, last_fired_ms, fired_count, created_by, created_ms, updated_ms) =
        row;
    let spec: Spec = serde_json::from_str(&spec).map_err(|e| {
        StoreError::unreadable(
            WHAT,
            format!("alert {id} holds an unreadable definition: {e}"),
        )
    })?;
    let state = match state.as_str() {
        "armed" => AlertState::Armed,
        "fired" => AlertState::Fired,
        other => {
            return Err(StoreError::unreadable(
                WHAT,
                format!("alert {id} has an unknown state '{other}'"),
            ));
        }
    };
    Ok(Alert {
        id: AlertId(id),
        condition: spec.condition,
        repeat: spec.repeat,
        window: spec.window,
        note: spec.note,
        enabled,
        state,
        last_fired_ms,
        fired_count: u32::try_from(fired_count).unwrap_or(u32::MAX),
        created_ms,
        updated_ms,
        created_by,
    })
}

fn from_event_row(row: EventRow) -> AlertEvent {
    let (id, alert, at_ms, value, target_value, last_price, text) = row;
    AlertEvent {
        id,
        alert: AlertId(alert),
        at_ms,
        value,
        target_value,
        last_price: Price::from_raw(last_price),
        text,
    }
}

#[async_trait]
impl AlertStore for Database {
    async fn insert(&self, alert: &Alert, now_ms: i64) -> Result<Alert, StoreError> {
        let spec = spec_json(alert)?;
        let row: Row = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "INSERT INTO alerts (instrument_token, tradingsymbol, spec, enabled, state, \
                 created_by, created_ms, updated_ms) VALUES ($1, $2, $3, $4, 'armed', $5, $6, $6) \
                 RETURNING {COLUMNS}"
            ))
            .bind(i64::from(alert.condition.token.0))
            .bind(&alert.condition.tradingsymbol)
            .bind(spec)
            .bind(alert.enabled)
            .bind(&alert.created_by)
            .bind(now_ms)
            .fetch_all(pool)
            .await
            .and_then(only_row)
            .map_err(failed(WHAT))?
        });
        from_row(row)
    }

    async fn update(&self, alert: &Alert, now_ms: i64) -> Result<Option<Alert>, StoreError> {
        let spec = spec_json(alert)?;
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "UPDATE alerts SET instrument_token = $1, tradingsymbol = $2, spec = $3, \
                 enabled = $4, state = 'armed', updated_ms = $5 \
                 WHERE id = $6 AND deleted_ms IS NULL RETURNING {COLUMNS}"
            ))
            .bind(i64::from(alert.condition.token.0))
            .bind(&alert.condition.tradingsymbol)
            .bind(spec)
            .bind(alert.enabled)
            .bind(now_ms)
            .bind(alert.id.0)
            .fetch_all(pool)
            .await
            .map(first_row)
            .map_err(failed(WHAT))?
        });
        row.map(from_row).transpose()
    }

    async fn set_enabled(
        &self,
        id: AlertId,
        enabled: bool,
        now_ms: i64,
    ) -> Result<Option<Alert>, StoreError> {
        // Enabling a fired one-shot alert watches it again.
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "UPDATE alerts SET enabled = $1, updated_ms = $2, \
                 state = CASE WHEN $1 THEN 'armed' ELSE state END \
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

    async fn delete(&self, id: AlertId, now_ms: i64) -> Result<bool, StoreError> {
        let done = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE alerts SET deleted_ms = $1, updated_ms = $1 \
                 WHERE id = $2 AND deleted_ms IS NULL",
            )
            .bind(now_ms)
            .bind(id.0)
            .execute(pool)
            .await
            .map_err(failed(WHAT))?
            .rows_affected()
        });
        Ok(done == 1)
    }

    async fn get(&self, id: AlertId) -> Result<Option<Alert>, StoreError> {
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM alerts WHERE id = $1 AND deleted_ms IS NULL"
            ))
            .bind(id.0)
            .fetch_optional(pool)
            .await
            .map_err(failed(WHAT))?
        });
        row.map(from_row).transpose()
    }

    async fn list(&self) -> Result<Vec<Alert>, StoreError> {
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM alerts WHERE deleted_ms IS NULL ORDER BY id DESC"
            ))
            .fetch_all(pool)
            .await
            .map_err(failed(WHAT))?
        });
        rows.into_iter().map(from_row).collect()
    }

    async fn record_fired(
        &self,
        event: &AlertEvent,
        done: bool,
    ) -> Result<Option<AlertEvent>, StoreError> {
        let row: Option<EventRow> = on_pool!(self, pool => {
            let mut tx = pool.begin_write().await.map_err(failed(WHAT))?;
            let counted = sqlx::query(
                "UPDATE alerts SET fired_count = fired_count + 1, last_fired_ms = $1, \
                 state = CASE WHEN $2 THEN 'fired' ELSE state END \
                 WHERE id = $3 AND state = 'armed' AND enabled AND deleted_ms IS NULL",
            )
            .bind(event.at_ms)
            .bind(done)
            .bind(event.alert.0)
            .execute(&mut *tx)
            .await
            .map_err(failed(WHAT))?
            .rows_affected();
            if counted != 1 {
                return Ok(None);
            }
            let row: EventRow = sqlx::query_as(&format!(
                "INSERT INTO alert_events (alert_id, at_ms, value, target_value, last_price_raw, \
                 text) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {EVENT_COLUMNS}"
            ))
            .bind(event.alert.0)
            .bind(event.at_ms)
            .bind(event.value)
            .bind(event.target_value)
            .bind(event.last_price.raw())
            .bind(&event.text)
            .fetch_one(&mut *tx)
            .await
            .map_err(failed(WHAT))?;
            tx.commit().await.map_err(failed(WHAT))?;
            Some(row)
        });
        Ok(row.map(from_event_row))
    }

    async fn history(
        &self,
        alert: Option<AlertId>,
        limit: u32,
    ) -> Result<Vec<AlertEvent>, StoreError> {
        let rows: Vec<EventRow> = on_pool!(self, pool => {
            match alert {
                Some(id) => sqlx::query_as(&format!(
                    "SELECT {EVENT_COLUMNS} FROM alert_events WHERE alert_id = $1 \
                     ORDER BY id DESC LIMIT $2"
                ))
                .bind(id.0)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
                .map_err(failed(WHAT))?,
                None => sqlx::query_as(&format!(
                    "SELECT {EVENT_COLUMNS} FROM alert_events ORDER BY id DESC LIMIT $1"
                ))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
                .map_err(failed(WHAT))?,
            }
        });
        Ok(rows.into_iter().map(from_event_row).collect())
    }
}
