//! App users (`users`): storage only. What a valid user is, and when an account locks, is the
//! account service's (`osp_core::services::accounts`).

use super::{BeginWrite, failed, first_row};
use async_trait::async_trait;
use osp_core::model::{Role, StoredUser, User, UserId};
use osp_core::ports::{RoleUpdate, StoreError, UserStore};

use super::Database;
use crate::on_pool;

/// What this store's errors name.
const WHAT: &str = "the user change";

/// The advisory lock that serialises role changes on PostgreSQL (any fixed number).
const ROLE_CHANGE_LOCK: i64 = 7_305_001;

const COLUMNS: &str = "id, username, password_hash, role, disabled, created_at_ms, \
    last_login_ms, locked_until_ms, failed_logins, session_generation, totp_secret_sealed, \
    totp_pending_sealed, totp_last_step";

type Row = (
    i64,
    String,
    String,
    String,
    bool,
    i64,
    Option<i64>,
    Option<i64>,
    i64,
    i64,
    Option<String>,
    Option<String>,
    Option<i64>,
);

fn stored(row: Row) -> Result<StoredUser, StoreError> {
    let (
        id,
        username,
        hash,
        role,
        disabled,
        created,
        last_login,
        // Written by the lockout of old versions; nothing locks an account now.
        _locked_until,
        failures,
        generation,
        totp,
        pending,
        last_step,
    ) = row;
    let role = Role::parse(&role).ok_or_else(|| {
        StoreError::unreadable(
            WHAT,
            format!("user {id} has an unknown role {role:?} in the database"),
        )
    })?;
    Ok(StoredUser {
        user: User {
            id: UserId(id),
            username,
            role,
            disabled,
            created_at_ms: created,
            last_login_ms: last_login,
            totp: totp.is_some(),
        },
        password_hash: hash,
        failed_logins: u32::try_from(failures.max(0)).unwrap_or(u32::MAX),
        session_generation: generation,
        totp_sealed: totp,
        totp_pending_sealed: pending,
        totp_last_step: last_step,
    })
}

#[async_trait]
impl UserStore for Database {
    async fn count(&self) -> Result<u64, StoreError> {
        let (n,): (i64,) = on_pool!(self, pool => {
            sqlx::query_as("SELECT COUNT(*) FROM users")
                .fetch_one(pool)
                .await
                .map_err(failed(WHAT))?
        });
        Ok(n.max(0) as u64)
    }

    async fn by_name(&self, username: &str) -> Result<Option<StoredUser>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE username = $1");
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(username).fetch_optional(pool).await.map_err(failed(WHAT))?
        });
        row.map(stored).transpose()
    }

    async fn by_id(&self, id: UserId) -> Result<Option<StoredUser>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(id.0).fetch_optional(pool).await.map_err(failed(WHAT))?
        });
        row.map(stored).transpose()
    }

    async fn list(&self) -> Result<Vec<User>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM users ORDER BY username");
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await.map_err(failed(WHAT))?
        });
        rows.into_iter()
            .map(|r| stored(r).map(|s| s.user))
            .collect()
    }

    async fn insert(
        &self,
        username: &str,
        password_hash: &str,
        role: Role,
        now_ms: i64,
        only_if_first: bool,
    ) -> Result<Option<UserId>, StoreError> {
        // `WHERE NOT EXISTS` alone would let two PostgreSQL transactions both see an empty
        // table; the advisory lock makes the first-admin insert one at a time there (SQLite
        // has one writer anyway).
        let sql = if only_if_first {
            "INSERT INTO users (username, password_hash, role, created_at_ms) \
             SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM users) \
             ON CONFLICT (username) DO NOTHING RETURNING id"
        } else {
            "INSERT INTO users (username, password_hash, role, created_at_ms) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (username) DO NOTHING RETURNING id"
        };
        let id: Option<(i64,)> = match self {
            Database::Sqlite(pool) => sqlx::query_as(sql)
                .bind(username)
                .bind(password_hash)
                .bind(role.code())
                .bind(now_ms)
                .fetch_all(pool)
                .await
                .map(first_row)
                .map_err(failed(WHAT))?,
            Database::Postgres(pool) => {
                let mut tx = pool.begin_write().await.map_err(failed(WHAT))?;
                if only_if_first {
                    sqlx::query("SELECT pg_advisory_xact_lock(7001)")
                        .execute(&mut *tx)
                        .await
                        .map_err(failed(WHAT))?;
                }
                let id = sqlx::query_as(sql)
                    .bind(username)
                    .bind(password_hash)
                    .bind(role.code())
                    .bind(now_ms)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(failed(WHAT))?;
                tx.commit().await.map_err(failed(WHAT))?;
                id
            }
        };
        Ok(id.map(|(id,)| UserId(id)))
    }

    async fn add_failure(&self, id: UserId) -> Result<u32, StoreError> {
        let count: Option<(i64,)> = on_pool!(self, pool => {
            sqlx::query_as(
                "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 \
                 RETURNING failed_logins",
            )
            .bind(id.0)
            .fetch_all(pool)
            .await
            .map(first_row)
            .map_err(failed(WHAT))?
        });
        Ok(count.map_or(0, |(n,)| u32::try_from(n.max(0)).unwrap_or(u32::MAX)))
    }

    async fn record_login(&self, id: UserId, now_ms: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "UPDATE users SET failed_logins = 0, locked_until_ms = NULL, last_login_ms = $1 \
                 WHERE id = $2",
            )
            .bind(now_ms)
            .bind(id.0)
            .execute(pool)
            .await
            .map_err(failed(WHAT))?
            .rows_affected()
        });
        Ok(())
    }

    async fn update(
        &self,
        id: UserId,
        role: Role,
        disabled: bool,
    ) -> Result<RoleUpdate, StoreError> {
        // Written only if the user stays an enabled admin, was not one, or another enabled
        // admin remains — checked by the write itself. SQLite runs one write at a time;
        // PostgreSQL takes a transaction-scoped advisory lock first, so two such changes
        // cannot each see the other's admin as still there.
        const UPDATE: &str = "UPDATE users SET role = $1, disabled = $2, \
             session_generation = session_generation + 1 WHERE id = $3 AND ( \
             ($1 = 'admin' AND NOT $2) OR role <> 'admin' OR disabled OR EXISTS ( \
             SELECT 1 FROM users other WHERE other.id <> $3 AND other.role = 'admin' \
             AND NOT other.disabled))";
        let done = match self {
            Database::Sqlite(pool) => sqlx::query(UPDATE)
                .bind(role.code())
                .bind(disabled)
                .bind(id.0)
                .execute(pool)
                .await
                .map_err(failed(WHAT))?
                .rows_affected(),
            Database::Postgres(pool) => {
                let mut tx = pool.begin_write().await.map_err(failed(WHAT))?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(ROLE_CHANGE_LOCK)
                    .execute(&mut *tx)
                    .await
                    .map_err(failed(WHAT))?;
                let done = sqlx::query(UPDATE)
                    .bind(role.code())
                    .bind(disabled)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(failed(WHAT))?
                    .rows_affected();
                tx.commit().await.map_err(failed(WHAT))?;
                done
            }
        };
        if done == 1 {
            return Ok(RoleUpdate::Done);
        }
        let exists: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
                .bind(id.0)
                .fetch_optional(pool)
                .await
                .map_err(failed(WHAT))?
        });
        Ok(if exists.is_some() {
            RoleUpdate::LastAdmin
        } else {
            RoleUpdate::NoSuchUser
        })
    }

    async fn set_password(
        &self,
        id: UserId,
        password_hash: &str,
        clear_totp: bool,
    ) -> Result<bool, StoreError> {
        let done = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE users SET password_hash = $1, failed_logins = 0, locked_until_ms = NULL, \
                 session_generation = session_generation + 1, \
                 totp_secret_sealed = CASE WHEN $3 THEN NULL ELSE totp_secret_sealed END, \
                 totp_pending_sealed = CASE WHEN $3 THEN NULL ELSE totp_pending_sealed END \
                 WHERE id = $2",
            )
            .bind(password_hash)
            .bind(id.0)
            .bind(clear_totp)
            .execute(pool)
            .await
            .map_err(failed(WHAT))?
            .rows_affected()
        });
        Ok(done == 1)
    }

    async fn set_totp_pending(&self, id: UserId, sealed: Option<&str>) -> Result<bool, StoreError> {
        let done = on_pool!(self, pool => {
            sqlx::query("UPDATE users SET totp_pending_sealed = $1 WHERE id = $2")
                .bind(sealed)
                .bind(id.0)
                .execute(pool)
                .await
                .map_err(failed(WHAT))?
                .rows_affected()
        });
        Ok(done == 1)
    }

    async fn set_totp(&self, id: UserId, sealed: Option<&str>) -> Result<bool, StoreError> {
        // Turning it on or off ends the user's other sessions, like a new password.
        let done = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE users SET totp_secret_sealed = $1, totp_pending_sealed = NULL, \
                 session_generation = session_generation + 1 WHERE id = $2",
            )
            .bind(sealed)
            .bind(id.0)
            .execute(pool)
            .await
            .map_err(failed(WHAT))?
            .rows_affected()
        });
        Ok(done == 1)
    }

    async fn use_totp_step(&self, id: UserId, step: i64) -> Result<bool, StoreError> {
        let done = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE users SET totp_last_step = $1 WHERE id = $2 \
                 AND (totp_last_step IS NULL OR totp_last_step < $1)",
            )
            .bind(step)
            .bind(id.0)
            .execute(pool)
            .await
            .map_err(failed(WHAT))?
            .rows_affected()
        });
        Ok(done == 1)
    }

    async fn end_sessions(&self, id: UserId) -> Result<bool, StoreError> {
        let done = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE users SET session_generation = session_generation + 1 WHERE id = $1",
            )
            .bind(id.0)
            .execute(pool)
            .await
            .map_err(failed(WHAT))?
            .rows_affected()
        });
        Ok(done == 1)
    }
}
