//! Order intents in the database (`order_intents`). Storage only: the transitions are the
//! core's (`services::trading::intents`). The request is kept whole as JSON; the tag, which
//! must be unique, also has its own column.

use super::failed;
use async_trait::async_trait;
use osp_core::model::{IntentState, LevelId, OrderIntent, OrderRequest, OrderTag, Price, TradeId};
use osp_core::ports::{IntentStore, StoreError};

use super::Database;
use crate::on_pool;

pub(super) type Row = (
    i64,
    Option<i64>,
    Option<i64>,
    String,
    String,
    Option<String>,
    i64,
    Option<i64>,
    Option<String>,
    i64,
    i64,
    bool,
);

pub(super) const COLUMNS: &str = "id, level_id, closes_trade, request, state, broker_order_id, \
                                  filled_quantity, average_price_raw, reason, created_ms, updated_ms, \
                                  outside_exit";

/// What this store's errors name.
const WHAT: &str = "the order record";

pub(super) fn state_text(state: IntentState) -> &'static str {
    state.code()
}

fn parse_state(text: &str) -> Option<IntentState> {
    Some(match text {
        "pending" => IntentState::Pending,
        "placed" => IntentState::Placed,
        "partially_filled" => IntentState::PartiallyFilled,
        "filled" => IntentState::Filled,
        "rejected" => IntentState::Rejected,
        "cancelled" => IntentState::Cancelled,
        _ => return None,
    })
}

pub(super) fn from_row(row: Row) -> Result<OrderIntent, StoreError> {
    let (
        id,
        level,
        closes,
        request,
        state,
        order_id,
        filled,
        average,
        reason,
        created,
        updated,
        outside_exit,
    ) = row;
    let request: OrderRequest = serde_json::from_str(&request).map_err(|e| {
        StoreError::unreadable(
            WHAT,
            format!("order record {id} holds an unreadable request: {e}"),
        )
    })?;
    Ok(OrderIntent {
        id,
        level: level.map(LevelId),
        closes: closes.map(TradeId),
        outside_exit,
        request,
        state: parse_state(&state).ok_or_else(|| {
            StoreError::unreadable(
                WHAT,
                format!("order record {id} has an unknown state '{state}'"),
            )
        })?,
        broker_order_id: order_id,
        filled_quantity: u32::try_from(filled).unwrap_or(0),
        average_price: average.map(Price::from_raw),
        reason,
        created_ms: created,
        updated_ms: updated,
    })
}

/// The intent's request as stored.
pub(super) fn request_json(intent: &OrderIntent) -> Result<String, StoreError> {
    serde_json::to_string(&intent.request)
        .map_err(|e| StoreError::unreadable(WHAT, format!("cannot encode the order request: {e}")))
}

/// Inserts `intent` (its request already encoded as `request`) on `executor`, a pool or a
/// transaction of either backend: `Ok(Some(id))`, or `Ok(None)` when its tag is taken.
macro_rules! insert_intent {
    ($executor:expr, $intent:expr, $request:expr) => {
        sqlx::query_as::<_, (i64,)>(
            "INSERT INTO order_intents (level_id, tag, request, state, broker_order_id, \
             filled_quantity, average_price_raw, reason, created_ms, updated_ms, closes_trade, \
             outside_exit) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (tag) DO NOTHING RETURNING id",
        )
        .bind($intent.level.map(|l| l.0))
        .bind($intent.request.tag.as_str())
        .bind($request)
        .bind(state_text($intent.state))
        .bind($intent.broker_order_id.as_deref())
        .bind(i64::from($intent.filled_quantity))
        .bind($intent.average_price.map(osp_core::model::Price::raw))
        .bind($intent.reason.as_deref())
        .bind($intent.created_ms)
        .bind($intent.updated_ms)
        .bind($intent.closes.map(|t| t.0))
        .bind($intent.outside_exit)
        .fetch_all($executor)
        .await
        .map($crate::database::first_row)
        .map(|row| row.map(|(id,)| id))
        .map_err(failed(WHAT))
    };
}

#[async_trait]
impl IntentStore for Database {
    async fn insert(&self, intent: &OrderIntent) -> Result<Option<i64>, StoreError> {
        let request = request_json(intent)?;
        on_pool!(self, pool => insert_intent!(pool, intent, request))
    }

    async fn update(&self, next: &OrderIntent, from: &OrderIntent) -> Result<bool, StoreError> {
        let request = request_json(next)?;
        let done = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE order_intents SET state = $1, broker_order_id = $2, filled_quantity = $3, \
                 average_price_raw = $4, reason = $5, updated_ms = $6, request = $10 \
                 WHERE id = $7 AND state = $8 AND filled_quantity = $9",
            )
            .bind(state_text(next.state))
            .bind(next.broker_order_id.as_deref())
            .bind(i64::from(next.filled_quantity))
            .bind(next.average_price.map(Price::raw))
            .bind(next.reason.as_deref())
            .bind(next.updated_ms)
            .bind(next.id)
            .bind(state_text(from.state))
            .bind(i64::from(from.filled_quantity))
            .bind(&request)
            .execute(pool)
            .await
            .map_err(failed(WHAT))?
            .rows_affected()
        });
        Ok(done == 1)
    }

    async fn pending(&self) -> Result<Vec<OrderIntent>, StoreError> {
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM order_intents WHERE state = 'pending' ORDER BY id"
            ))
            .fetch_all(pool)
            .await
            .map_err(failed(WHAT))?
        });
        rows.into_iter().map(from_row).collect()
    }

    async fn open(&self) -> Result<Vec<OrderIntent>, StoreError> {
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM order_intents \
                 WHERE state IN ('placed', 'partially_filled') ORDER BY id"
            ))
            .fetch_all(pool)
            .await
            .map_err(failed(WHAT))?
        });
        rows.into_iter().map(from_row).collect()
    }

    async fn recent(&self, limit: u32) -> Result<Vec<OrderIntent>, StoreError> {
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM order_intents ORDER BY id DESC LIMIT $1"
            ))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(failed(WHAT))?
        });
        rows.into_iter().map(from_row).collect()
    }

    async fn entries_since(&self, since_ms: i64) -> Result<Vec<i64>, StoreError> {
        let ids: Vec<(i64,)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id FROM order_intents WHERE closes_trade IS NULL AND NOT outside_exit \
                 AND created_ms >= $1",
            )
            .bind(since_ms)
            .fetch_all(pool)
            .await
            .map_err(failed(WHAT))?
        });
        Ok(ids.into_iter().map(|(id,)| id).collect())
    }

    async fn by_id(&self, id: i64) -> Result<Option<OrderIntent>, StoreError> {
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM order_intents WHERE id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err(failed(WHAT))?
        });
        row.map(from_row).transpose()
    }

    async fn by_tag(&self, tag: &OrderTag) -> Result<Option<OrderIntent>, StoreError> {
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM order_intents WHERE tag = $1"))
                .bind(tag.as_str())
                .fetch_optional(pool)
                .await
                .map_err(failed(WHAT))?
        });
        row.map(from_row).transpose()
    }
}
