//! Watchlists in the database (`watchlists`, `watchlist_items`). Storage only: names, limits
//! and duplicates are the core's `WatchlistService`'s rules. Every change that touches several
//! rows runs in one transaction, so a failure leaves the previous list whole.

use super::{BeginWrite, failed, only_row};
use async_trait::async_trait;
use osp_core::model::{Exchange, InstrumentToken, Watchlist, WatchlistItem};
use osp_core::ports::{StoreError, WatchlistStore};

use super::Database;
use crate::on_pool;

/// What this store's errors name.
const WHAT: &str = "the watchlist change";

type ListRow = (i64, String);
type ItemRow = (i64, i64, String, String);

fn assemble(lists: Vec<ListRow>, items: Vec<ItemRow>) -> Result<Vec<Watchlist>, StoreError> {
    let mut out: Vec<Watchlist> = lists
        .into_iter()
        .map(|(id, name)| Watchlist {
            id,
            name,
            items: Vec::new(),
        })
        .collect();
    for (list_id, token, exchange, tradingsymbol) in items {
        let Some(list) = out.iter_mut().find(|l| l.id == list_id) else {
            continue;
        };
        let exchange: Exchange = exchange.parse().map_err(|e| {
            StoreError::unreadable(
                WHAT,
                format!("watchlist {list_id} holds an unknown exchange: {e}"),
            )
        })?;
        let token = u32::try_from(token).map_err(|_| {
            StoreError::unreadable(
                WHAT,
                format!("watchlist {list_id} holds an invalid token {token}"),
            )
        })?;
        list.items.push(WatchlistItem {
            token: InstrumentToken(token),
            exchange,
            tradingsymbol,
        });
    }
    Ok(out)
}

/// Inside transaction `$tx`: list `$id`'s items become `$items`, in order.
macro_rules! write_items {
    ($tx:ident, $id:expr, $items:expr) => {
        sqlx::query("DELETE FROM watchlist_items WHERE watchlist_id = $1")
            .bind($id)
            .execute(&mut *$tx)
            .await
            .map_err(failed(WHAT))?;
        for (position, item) in $items.iter().enumerate() {
            sqlx::query(
                "INSERT INTO watchlist_items \
                 (watchlist_id, position, instrument_token, exchange, tradingsymbol) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind($id)
            .bind(position as i64)
            .bind(i64::from(item.token.0))
            .bind(item.exchange.code())
            .bind(&item.tradingsymbol)
            .execute(&mut *$tx)
            .await
            .map_err(failed(WHAT))?;
        }
    };
}

#[async_trait]
impl WatchlistStore for Database {
    async fn lists(&self, owner: &str) -> Result<Vec<Watchlist>, StoreError> {
        on_pool!(self, pool => {
            let lists: Vec<ListRow> = sqlx::query_as(
                "SELECT id, name FROM watchlists WHERE owner = $1 ORDER BY position, id",
            )
            .bind(owner)
            .fetch_all(pool)
            .await
            .map_err(failed(WHAT))?;
            let items: Vec<ItemRow> = sqlx::query_as(
                "SELECT i.watchlist_id, i.instrument_token, i.exchange, i.tradingsymbol \
                 FROM watchlist_items i JOIN watchlists w ON w.id = i.watchlist_id \
                 WHERE w.owner = $1 ORDER BY i.watchlist_id, i.position",
            )
            .bind(owner)
            .fetch_all(pool)
            .await
            .map_err(failed(WHAT))?;
            assemble(lists, items)
        })
    }

    async fn create(&self, owner: &str, name: &str) -> Result<i64, StoreError> {
        on_pool!(self, pool => {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO watchlists (owner, name, position) \
                 VALUES ($1, $2, (SELECT COALESCE(MAX(position), 0) + 1 FROM watchlists WHERE owner = $1)) \
                 RETURNING id",
            )
            .bind(owner)
            .bind(name)
            .fetch_all(pool)
            .await
            .and_then(only_row)
            .map_err(failed(WHAT))?;
            Ok(id)
        })
    }

    async fn rename(&self, owner: &str, id: i64, name: &str) -> Result<bool, StoreError> {
        on_pool!(self, pool => {
            let done = sqlx::query("UPDATE watchlists SET name = $1 WHERE id = $2 AND owner = $3")
                .bind(name)
                .bind(id)
                .bind(owner)
                .execute(pool)
                .await
                .map_err(failed(WHAT))?;
            Ok(done.rows_affected() == 1)
        })
    }

    async fn delete(&self, owner: &str, id: i64) -> Result<bool, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await.map_err(failed(WHAT))?;
            sqlx::query(
                "DELETE FROM watchlist_items WHERE watchlist_id = \
                 (SELECT id FROM watchlists WHERE id = $1 AND owner = $2)",
            )
            .bind(id)
            .bind(owner)
            .execute(&mut *tx)
            .await
            .map_err(failed(WHAT))?;
            let done = sqlx::query("DELETE FROM watchlists WHERE id = $1 AND owner = $2")
                .bind(id)
                .bind(owner)
                .execute(&mut *tx)
                .await
                .map_err(failed(WHAT))?;
            tx.commit().await.map_err(failed(WHAT))?;
            Ok(done.rows_affected() == 1)
        })
    }

    async fn set_items(
        &self,
        owner: &str,
        id: i64,
        items: &[WatchlistItem],
    ) -> Result<bool, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await.map_err(failed(WHAT))?;
            let found: Option<(i64,)> =
                sqlx::query_as("SELECT id FROM watchlists WHERE id = $1 AND owner = $2")
                    .bind(id)
                    .bind(owner)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(failed(WHAT))?;
            if found.is_none() {
                return Ok(false);
            }
            write_items!(tx, id, items);
            tx.commit().await.map_err(failed(WHAT))?;
            Ok(true)
        })
    }

    async fn replace_items(
        &self,
        owner: &str,
        id: i64,
        expected: &[WatchlistItem],
        items: &[WatchlistItem],
    ) -> Result<Option<bool>, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await.map_err(failed(WHAT))?;
            // A write first: it takes the list's lock (the row in PostgreSQL, the database in
            // SQLite) before anything is read, so the check below sees the latest items.
            let locked = sqlx::query("UPDATE watchlists SET name = name WHERE id = $1 AND owner = $2")
                .bind(id)
                .bind(owner)
                .execute(&mut *tx)
                .await
                .map_err(failed(WHAT))?
                .rows_affected();
            if locked == 0 {
                return Ok(Some(false));
            }
            let stored: Vec<(i64,)> = sqlx::query_as(
                "SELECT instrument_token FROM watchlist_items WHERE watchlist_id = $1 \
                 ORDER BY position",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await
            .map_err(failed(WHAT))?;
            let unchanged = stored.len() == expected.len()
                && stored
                    .iter()
                    .zip(expected)
                    .all(|((token,), item)| *token == i64::from(item.token.0));
            if !unchanged {
                return Ok(None);
            }
            write_items!(tx, id, items);
            tx.commit().await.map_err(failed(WHAT))?;
            Ok(Some(true))
        })
    }
}
