//! The account's Kite app and session (`kite_credentials`): storage only, of values already
//! sealed by `SecretBox` where they are secret.

use super::Database;
use super::failed;
use crate::on_pool;

const ACCOUNT: &str = "default";

/// What this store's errors name.
const WHAT: &str = "the Kite credentials";

/// The stored row, secrets still sealed.
#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct KiteCredentialsRow {
    pub api_key: Option<String>,
    pub api_secret_sealed: Option<String>,
    pub access_token_sealed: Option<String>,
    pub user_id: Option<String>,
    pub user_name: Option<String>,
    pub connected_ms: Option<i64>,
}

impl Database {
    pub async fn kite_credentials(&self) -> Result<KiteCredentialsRow, String> {
        let row: Option<KiteCredentialsRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT api_key, api_secret_sealed, access_token_sealed, user_id, user_name, \
                 connected_ms FROM kite_credentials WHERE account = $1",
            )
            .bind(ACCOUNT)
            .fetch_optional(pool)
            .await
            .map_err(failed(WHAT))?
        });
        Ok(row.unwrap_or_default())
    }

    /// A new Kite app: its key and sealed secret; any session of the old app is dropped.
    pub async fn save_kite_app(
        &self,
        api_key: &str,
        api_secret_sealed: &str,
        now_ms: i64,
    ) -> Result<(), String> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO kite_credentials (account, api_key, api_secret_sealed, updated_ms) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (account) DO UPDATE SET \
                 api_key = excluded.api_key, api_secret_sealed = excluded.api_secret_sealed, \
                 access_token_sealed = NULL, user_id = NULL, user_name = NULL, \
                 connected_ms = NULL, updated_ms = excluded.updated_ms",
            )
            .bind(ACCOUNT)
            .bind(api_key)
            .bind(api_secret_sealed)
            .bind(now_ms)
            .execute(pool)
            .await
            .map_err(failed(WHAT))?
            .rows_affected()
        });
        Ok(())
    }

    /// A Kite login: the sealed access token and whose it is.
    pub async fn save_kite_session(
        &self,
        access_token_sealed: &str,
        user_id: &str,
        user_name: &str,
        now_ms: i64,
    ) -> Result<(), String> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO kite_credentials (account, access_token_sealed, user_id, user_name, \
                 connected_ms, updated_ms) VALUES ($1, $2, $3, $4, $5, $5) \
                 ON CONFLICT (account) DO UPDATE SET \
                 access_token_sealed = excluded.access_token_sealed, user_id = excluded.user_id, \
                 user_name = excluded.user_name, connected_ms = excluded.connected_ms, \
                 updated_ms = excluded.updated_ms",
            )
            .bind(ACCOUNT)
            .bind(access_token_sealed)
            .bind(user_id)
            .bind(user_name)
            .bind(now_ms)
            .execute(pool)
            .await
            .map_err(failed(WHAT))?
            .rows_affected()
        });
        Ok(())
    }

    pub async fn clear_kite_session(&self, now_ms: i64) -> Result<(), String> {
        on_pool!(self, pool => {
            sqlx::query(
                "UPDATE kite_credentials SET access_token_sealed = NULL, user_id = NULL, \
                 user_name = NULL, connected_ms = NULL, updated_ms = $2 WHERE account = $1",
            )
            .bind(ACCOUNT)
            .bind(now_ms)
            .execute(pool)
            .await
            .map_err(failed(WHAT))?
            .rows_affected()
        });
        Ok(())
    }
}
