//! How far each user has read the notification centre (`notification_reads`).

use super::failed;
use async_trait::async_trait;
use osp_core::model::UserId;
use osp_core::ports::{NotificationReads, StoreError};

use super::Database;
use crate::on_pool;

/// What this store's errors name.
const WHAT: &str = "the notification mark";

#[async_trait]
impl NotificationReads for Database {
    async fn read_until(&self, user: UserId) -> Result<Option<i64>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT read_until_ms FROM notification_reads WHERE user_id = $1")
                .bind(user.0)
                .fetch_optional(pool)
                .await
                .map_err(failed(WHAT))?
        }))
    }

    async fn mark_read(&self, user: UserId, until_ms: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO notification_reads (user_id, read_until_ms) VALUES ($1, $2) \
                 ON CONFLICT (user_id) DO UPDATE SET read_until_ms = excluded.read_until_ms \
                 WHERE notification_reads.read_until_ms < excluded.read_until_ms",
            )
            .bind(user.0)
            .bind(until_ms)
            .execute(pool)
            .await
            .map_err(failed(WHAT))?;
        });
        Ok(())
    }
}
