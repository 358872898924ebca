//! Leases in the database (`worker_leases`): one compare-and-set upsert takes a free or lapsed
//! lease, or renews one's own. Storage only: who asks and when is the worker manager's.

use super::failed;
use async_trait::async_trait;
use osp_core::ports::{LeaseStore, StoreError};

use super::Database;
use crate::on_pool;

/// What this store's errors name.
const WHAT: &str = "the lease";

#[async_trait]
impl LeaseStore for Database {
    async fn acquire(
        &self,
        name: &str,
        holder: &str,
        now_ms: i64,
        ttl_ms: i64,
    ) -> Result<bool, StoreError> {
        let done = on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO worker_leases (name, holder, expires_ms, acquired_ms) \
                 VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (name) DO UPDATE SET \
                   acquired_ms = CASE WHEN worker_leases.holder = excluded.holder \
                                 THEN worker_leases.acquired_ms ELSE excluded.acquired_ms END, \
                   holder = excluded.holder, expires_ms = excluded.expires_ms \
                 WHERE worker_leases.holder = excluded.holder OR worker_leases.expires_ms < $4",
            )
            .bind(name)
            .bind(holder)
            .bind(now_ms.saturating_add(ttl_ms))
            .bind(now_ms)
            .execute(pool)
            .await
            .map_err(failed(WHAT))?
            .rows_affected()
        });
        Ok(done == 1)
    }

    async fn release(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM worker_leases WHERE name = $1 AND holder = $2")
                .bind(name)
                .bind(holder)
                .execute(pool)
                .await
                .map_err(failed(WHAT))?
                .rows_affected()
        });
        Ok(())
    }

    async fn holder(&self, name: &str) -> Result<Option<(String, i64)>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as("SELECT holder, expires_ms FROM worker_leases WHERE name = $1")
                .bind(name)
                .fetch_optional(pool)
                .await
                .map_err(failed(WHAT))?
        }))
    }
}
