//! Trades in the database (`trades`). Storage only: when a trade opens, moves and exits are the
//! core's rules (`services::trading::trade_rules`). The trade is kept whole as JSON; `version`
//! makes every update a compare-and-set, and an exit is written with its pending exit order in
//! one transaction.

use super::{BeginWrite, failed, first_row};
use async_trait::async_trait;
use osp_core::model::{OrderIntent, Trade, TradeId, TradeState};
use osp_core::ports::{StoreError, TradeStore};

use super::Database;
use super::intents::{self, request_json, state_text};
use crate::on_pool;

type Row = (i64, i64, String);

const COLUMNS: &str = "id, version, body";

/// What this store's errors name.
const WHAT: &str = "the trade";

fn trade_state_text(state: TradeState) -> &'static str {
    match state {
        TradeState::Open => "open",
        TradeState::Exiting => "exiting",
        TradeState::Closed => "closed",
    }
}

fn from_row((id, version, body): Row) -> Result<Trade, StoreError> {
    let mut trade: Trade = serde_json::from_str(&body).map_err(|e| {
        StoreError::unreadable(WHAT, format!("trade {id} holds an unreadable record: {e}"))
    })?;
    trade.id = TradeId(id);
    trade.version = version;
    Ok(trade)
}

fn body_json(trade: &Trade) -> Result<String, StoreError> {
    serde_json::to_string(trade)
        .map_err(|e| StoreError::unreadable(WHAT, format!("cannot encode the trade: {e}")))
}

/// The intent columns, read through the alias `i`.
fn intent_columns() -> String {
    intents::COLUMNS
        .split(", ")
        .map(|c| format!("i.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes `trade` over the stored one if its version is still `trade.version`, on `executor`
/// (a pool or a transaction of either backend): `Ok(true)` when it did.
macro_rules! update_trade {
    ($executor:expr, $trade:expr, $body:expr) => {
        sqlx::query(
            "UPDATE trades SET exit_intent = $1, state = $2, entry_filled = $3, body = $4, \
             version = version + 1, updated_ms = $5, closed_ms = $6 \
             WHERE id = $7 AND version = $8",
        )
        .bind($trade.exit_intent)
        .bind(trade_state_text($trade.state))
        .bind(i64::from($trade.entry_filled))
        .bind($body)
        .bind($trade.updated_ms)
        .bind($trade.closed_ms)
        .bind($trade.id.0)
        .bind($trade.version)
        .execute($executor)
        .await
        .map(|done| done.rows_affected() == 1)
        .map_err(failed(WHAT))
    };
}

fn bumped(trade: &Trade) -> Trade {
    let mut stored = trade.clone();
    stored.version += 1;
    stored
}

#[async_trait]
impl TradeStore for Database {
    async fn insert(&self, trade: &Trade) -> Result<Option<Trade>, StoreError> {
        let body = body_json(trade)?;
        let id: Option<(i64,)> = on_pool!(self, pool => {
            sqlx::query_as(
                "INSERT INTO trades (entry_intent, exit_intent, state, entry_filled, body, \
                 version, opened_ms, updated_ms, closed_ms) \
                 VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8) \
                 ON CONFLICT (entry_intent) DO NOTHING RETURNING id",
            )
            // An adopted trade has no entry order.
            .bind((trade.entry_intent != 0).then_some(trade.entry_intent))
            .bind(trade.exit_intent)
            .bind(trade_state_text(trade.state))
            .bind(i64::from(trade.entry_filled))
            .bind(body)
            .bind(trade.opened_ms)
            .bind(trade.updated_ms)
            .bind(trade.closed_ms)
            .fetch_all(pool)
            .await
            .map(first_row)
            .map_err(failed(WHAT))?
        });
        Ok(id.map(|(id,)| {
            let mut stored = trade.clone();
            stored.id = TradeId(id);
            stored.version = 1;
            stored
        }))
    }

    async fn update(&self, trade: &Trade) -> Result<Option<Trade>, StoreError> {
        let body = body_json(trade)?;
        let done = on_pool!(self, pool => update_trade!(pool, trade, body)?);
        Ok(done.then(|| bumped(trade)))
    }

    async fn begin_exit(
        &self,
        trade: &Trade,
        exit: &mut OrderIntent,
    ) -> Result<Option<Trade>, StoreError> {
        if trade.state != TradeState::Exiting {
            return Err(StoreError::unreadable(
                WHAT,
                format!("trade {} is not exiting: no exit to record", trade.id.0),
            ));
        }
        let request = request_json(exit)?;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await.map_err(failed(WHAT))?;
            let id = insert_intent!(&mut *tx, exit, request)?
                .ok_or_else(|| StoreError::unreadable(WHAT, format!("order tag {} is already used", exit.request.tag)))?;
            let mut next = trade.clone();
            next.exit_intent = Some(id);
            let body = body_json(&next)?;
            if !update_trade!(&mut *tx, next, body)? {
                // Rolled back with the exit order: nothing was recorded.
                return Ok(None);
            }
            tx.commit().await.map_err(failed(WHAT))?;
            exit.id = id;
            Ok(Some(bumped(&next)))
        })
    }

    async fn begin_protection(
        &self,
        trade: &Trade,
        order: &mut OrderIntent,
    ) -> Result<Option<Trade>, StoreError> {
        if trade.state != TradeState::Open {
            return Err(StoreError::unreadable(
                WHAT,
                format!("trade {} is not open: nothing to protect", trade.id.0),
            ));
        }
        let request = request_json(order)?;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await.map_err(failed(WHAT))?;
            let id = insert_intent!(&mut *tx, order, request)?
                .ok_or_else(|| StoreError::unreadable(WHAT, format!("order tag {} is already used", order.request.tag)))?;
            let mut next = trade.clone();
            next.protective = Some(id);
            let body = body_json(&next)?;
            if !update_trade!(&mut *tx, next, body)? {
                // Rolled back with the stop order: nothing was recorded.
                return Ok(None);
            }
            tx.commit().await.map_err(failed(WHAT))?;
            order.id = id;
            Ok(Some(bumped(&next)))
        })
    }

    async fn trade(&self, id: TradeId) -> Result<Option<Trade>, StoreError> {
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM trades WHERE id = $1"))
                .bind(id.0)
                .fetch_optional(pool)
                .await
                .map_err(failed(WHAT))?
        });
        row.map(from_row).transpose()
    }

    async fn by_entry(&self, entry_intent: i64) -> Result<Option<Trade>, StoreError> {
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM trades WHERE entry_intent = $1"))
                .bind(entry_intent)
                .fetch_optional(pool)
                .await
                .map_err(failed(WHAT))?
        });
        row.map(from_row).transpose()
    }

    async fn active(&self) -> Result<Vec<Trade>, StoreError> {
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM trades WHERE state IN ('open', 'exiting') ORDER BY id"
            ))
            .fetch_all(pool)
            .await
            .map_err(failed(WHAT))?
        });
        rows.into_iter().map(from_row).collect()
    }

    async fn recent(&self, limit: u32) -> Result<Vec<Trade>, StoreError> {
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM trades ORDER BY id DESC LIMIT $1"))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
                .map_err(failed(WHAT))?
        });
        rows.into_iter().map(from_row).collect()
    }

    async fn closed_since(&self, since_ms: i64) -> Result<Vec<Trade>, StoreError> {
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM trades WHERE state = 'closed' AND closed_ms >= $1 \
                 ORDER BY closed_ms, id"
            ))
            .bind(since_ms)
            .fetch_all(pool)
            .await
            .map_err(failed(WHAT))?
        });
        rows.into_iter().map(from_row).collect()
    }

    async fn unapplied(&self, since_ms: i64) -> Result<Vec<OrderIntent>, StoreError> {
        let columns = intent_columns();
        let rows: Vec<intents::Row> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {columns} FROM order_intents i \
                 WHERE i.updated_ms >= $4 AND ((i.closes_trade IS NULL AND NOT i.outside_exit \
                        AND i.filled_quantity > 0 AND NOT EXISTS \
                        (SELECT 1 FROM trades t WHERE t.entry_intent = i.id \
                         AND t.entry_filled >= i.filled_quantity)) \
                    OR (i.state IN ($1, $2, $3) AND EXISTS \
                        (SELECT 1 FROM trades t WHERE t.exit_intent = i.id AND t.state = 'exiting'))) \
                 ORDER BY i.id"
            ))
            .bind(state_text(osp_core::model::IntentState::Filled))
            .bind(state_text(osp_core::model::IntentState::Rejected))
            .bind(state_text(osp_core::model::IntentState::Cancelled))
            .bind(since_ms)
            .fetch_all(pool)
            .await
            .map_err(failed(WHAT))?
        });
        rows.into_iter().map(intents::from_row).collect()
    }
}
