//! The database: one pool, SQLite by default (a file in the data directory, WAL mode) or
//! PostgreSQL. Owns connecting, migrations and the health probe; the repositories beside it
//! (`instruments`, `intents`, `levels`, `risk`, `trades`, `watchlists`) borrow the pool and hold no rules.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use osp_core::model::TradingMode;
use osp_core::ports::{DatabaseProbe, StoreError};
use secrecy::ExposeSecret;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use crate::config::DatabaseSettings;

/// The one mapping from sqlx's errors to the store ports' `StoreError`: a missing row is
/// not found, a unique key taken or a serialization failure is a conflict, a value that does
/// not decode is unreadable, anything else (the pool, the connection, the statement) is
/// unavailable with sqlx's error as its source. `what` names the thing ("the level").
pub fn failed(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::RowNotFound => StoreError::not_found(what),
        sqlx::Error::Database(db)
            if db.is_unique_violation()
                || matches!(db.code().as_deref(), Some("40001" | "40P01")) =>
        {
            StoreError::conflict(what)
        }
        sqlx::Error::Decode(_) | sqlx::Error::ColumnDecode { .. } => {
            StoreError::unreadable(what, e.to_string())
        }
        sqlx::Error::Database(db) => match disk_hint(db.code().as_deref()) {
            Some(hint) => StoreError::unavailable_with_hint(what, e, hint),
            None => StoreError::unavailable(what, e),
        },
        sqlx::Error::Io(io) => match io.raw_os_error() {
            Some(28) => StoreError::unavailable_with_hint(what, e, DISK_FULL),
            Some(30) => StoreError::unavailable_with_hint(what, e, DISK_READ_ONLY),
            _ => StoreError::unavailable(what, e),
        },
        _ => StoreError::unavailable(what, e),
    }
}

/// The first row of a statement run to its end. `INSERT/UPDATE … RETURNING` outside a
/// transaction is read with `fetch_all` and this, never `fetch_one`/`fetch_optional`: those stop
/// SQLite's statement after its first row, and a commit that then fails (a full disk, a lock
/// held elsewhere) is dropped unseen — the caller would be told a row was stored that was not
/// (sqlx issues 2099 and 3430; the disk test in `tests/integration/disk.rs` found it).
pub(crate) fn first_row<T>(rows: Vec<T>) -> Option<T> {
    rows.into_iter().next()
}

/// Whether `dir` takes a new file (SQLite's file, its write-ahead log and shared memory live
/// there): a read-only or full disk, or a directory this user may not write, is said at start
/// with what to do, not as SQLite's "unable to open database file".
fn writable(dir: &std::path::Path) -> Result<(), DatabaseError> {
    let probe = dir.join(format!(".osp-write-check-{}", std::process::id()));
    match std::fs::write(&probe, b"") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(DatabaseError::NotWritable {
            path: dir.display().to_string(),
            hint: match e.raw_os_error() {
                Some(30) => DISK_READ_ONLY.to_owned(),
                Some(28) => DISK_FULL.to_owned(),
                Some(13) => format!(
                    "this user may not write there ({e}) — give it the directory, or point \
                     data_dir (OSP__DATA_DIR) at one it owns"
                ),
                _ => format!("{e} — point data_dir (OSP__DATA_DIR) at a writable directory"),
            },
        }),
    }
}

/// Whether a SQLite connection going back to the pool is fit to be used again. A COMMIT that
/// fails on a full disk or a disk error rolls SQLite's transaction back by itself; sqlx's own
/// ROLLBACK then fails too, and sqlx still counts the connection inside a transaction — every
/// later write on it would be refused ("invalid savepoint"), long after the disk has room.
/// Such a connection is closed here (the pool opens a fresh one). The ping first lets the
/// rollback a dropped transaction queued run.
async fn left_whole(conn: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
    use sqlx::Connection;
    conn.ping().await?;
    if conn.is_in_transaction() {
        tracing::warn!(
            "a database connection was left inside a transaction SQLite had already rolled back \
             (a write the disk refused); it is closed and a fresh one opened"
        );
        return Ok(false);
    }
    Ok(true)
}

/// As `first_row`, for a statement that must give one row.
pub(crate) fn only_row<T>(rows: Vec<T>) -> Result<T, sqlx::Error> {
    rows.into_iter().next().ok_or(sqlx::Error::RowNotFound)
}

pub const DISK_FULL: &str = "the disk holding the database is full — free space on it, then try \
                             again";
pub const DISK_READ_ONLY: &str = "the database's disk or file is read-only — make it writable \
                                  (remount the disk read-write; check the file's owner and \
                                  permissions), then try again";
pub const DISK_FAILED: &str = "the disk holding the database failed a write — check the disk \
                               (its free space, its errors in the system log), then try again";

/// What an operator can do about a database error that comes from the disk: SQLite's result
/// codes (the extended code's low byte: FULL, READONLY, IOERR) and PostgreSQL's SQLSTATEs
/// (disk_full, read_only_sql_transaction, io_error).
fn disk_hint(code: Option<&str>) -> Option<&'static str> {
    let code = code?;
    if let Ok(sqlite) = code.parse::<u32>()
        && code.len() < 5
    {
        return match sqlite & 0xff {
            13 => Some(DISK_FULL),
            8 => Some(DISK_READ_ONLY),
            10 => Some(DISK_FAILED),
            _ => None,
        };
    }
    match code {
        "53100" => Some(DISK_FULL),
        "25006" => Some(DISK_READ_ONLY),
        "58030" => Some(DISK_FAILED),
        _ => None,
    }
}

mod alerts;
mod broker_alerts;
mod instruments;
pub mod kite_credentials;
#[macro_use]
mod intents;
mod leases;
mod levels;
mod notifications;
mod paper;
mod risk;
mod trades;
mod users;
mod watchlists;
mod webhooks;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
const PING_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("the database URL is not valid: {0}")]
    InvalidUrl(String),
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    /// SQLite keeps its write-ahead log beside the file: the directory must take writes.
    #[error("the database's directory {path} does not take writes: {hint}")]
    NotWritable { path: String, hint: String },
    #[error("cannot open the database at {target}: {source}")]
    Connect { target: String, source: sqlx::Error },
    #[error("cannot read which mode the database belongs to: {source}")]
    Claim { source: sqlx::Error },
    #[error(
        "this database holds {bound} trading's orders and trades, so it cannot be used in {wanted} \
         mode; leave database.url empty (each mode gets its own file in the data directory) or \
         point it at another database"
    )]
    OtherMode { bound: String, wanted: String },
    #[error("migrating the {backend} database failed: {source}")]
    Migrate {
        backend: &'static str,
        source: sqlx::migrate::MigrateError,
    },
}

#[derive(Clone, Debug)]
pub enum Database {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Database {
    /// Opens the pool, creating the SQLite file and its directory if missing. Fails fast (5 s)
    /// when PostgreSQL cannot be reached, with a message that names the server, not the password.
    pub async fn connect(settings: &DatabaseSettings) -> Result<Database, DatabaseError> {
        let url = settings.url.expose_secret();
        if settings.is_postgres() {
            let options = PgConnectOptions::from_str(url)
                .map_err(|e| DatabaseError::InvalidUrl(redact(&e.to_string(), url)))?;
            let target = format!(
                "postgres://{}:{}/{}",
                options.get_host(),
                options.get_port(),
                options.get_database().unwrap_or("")
            );
            let pool = PgPoolOptions::new()
                .max_connections(settings.max_connections)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await
                .map_err(|source| DatabaseError::Connect { target, source })?;
            Ok(Database::Postgres(pool))
        } else {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| DatabaseError::InvalidUrl(e.to_string()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5));
            let file = options.get_filename().to_path_buf();
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|source| DatabaseError::DataDir {
                    path: dir.display().to_string(),
                    source,
                })?;
                writable(dir)?;
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(settings.max_connections)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .after_release(|conn, _| Box::pin(left_whole(conn)))
                .connect_with(options)
                .await
                .map_err(|source| DatabaseError::Connect {
                    target: file.display().to_string(),
                    source,
                })?;
            Ok(Database::Sqlite(pool))
        }
    }

    /// Applies every pending migration of this backend. Idempotent.
    pub async fn migrate(&self) -> Result<(), DatabaseError> {
        match self {
            Database::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await,
            Database::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
        }
        .map_err(|source| DatabaseError::Migrate {
            backend: self.backend_name(),
            source,
        })
    }

    /// Binds this database to `mode` the first time, and refuses it afterwards to any other
    /// mode: a demo's or a paper account's orders and trades must never be reconciled, exited
    /// or counted by another mode's broker. The binding is kept in `app_meta`.
    pub async fn claim_mode(&self, mode: TradingMode) -> Result<(), DatabaseError> {
        let wanted = mode.label().to_ascii_lowercase();
        let failed = |source| DatabaseError::Claim { source };
        let found: Option<(String,)> = crate::on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO app_meta (key, value) VALUES ('trading_mode', $1) \
                 ON CONFLICT (key) DO NOTHING",
            )
            .bind(&wanted)
            .execute(pool)
            .await
            .map_err(failed)?;
            sqlx::query_as("SELECT value FROM app_meta WHERE key = 'trading_mode'")
                .fetch_optional(pool)
                .await
                .map_err(failed)?
        });
        match found {
            Some((bound,)) if bound != wanted => Err(DatabaseError::OtherMode { bound, wanted }),
            _ => Ok(()),
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Database::Sqlite(_) => "sqlite",
            Database::Postgres(_) => "postgres",
        }
    }

    /// Connections open in the pool, and how many of them are idle.
    pub fn pool_usage(&self) -> (u32, usize) {
        match self {
            Database::Sqlite(pool) => (pool.size(), pool.num_idle()),
            Database::Postgres(pool) => (pool.size(), pool.num_idle()),
        }
    }

    pub async fn close(&self) {
        match self {
            Database::Sqlite(pool) => pool.close().await,
            Database::Postgres(pool) => pool.close().await,
        }
    }
}

#[async_trait]
impl DatabaseProbe for Database {
    fn backend(&self) -> &'static str {
        self.backend_name()
    }

    async fn ping(&self) -> Result<(), String> {
        let query = async {
            match self {
                Database::Sqlite(pool) => sqlx::query("SELECT 1").execute(pool).await.map(drop),
                Database::Postgres(pool) => sqlx::query("SELECT 1").execute(pool).await.map(drop),
            }
        };
        match tokio::time::timeout(PING_TIMEOUT, query).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("{} query failed: {e}", self.backend_name())),
            Err(_) => Err(format!(
                "{} did not answer within {} s",
                self.backend_name(),
                PING_TIMEOUT.as_secs()
            )),
        }
    }
}

/// Removes the URL (which may hold a password) from a parser's message.
fn redact(message: &str, url: &str) -> String {
    message.replace(url, "<database url>")
}

/// A transaction that writes: on SQLite it takes the write lock at `BEGIN` (`IMMEDIATE`), so
/// it waits its turn (the busy timeout) instead of failing with "database is locked" when
/// another writer commits between its first read and its first write; PostgreSQL's rows lock
/// as they are written.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>>
    + Send;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.begin().await
    }
}

/// Runs the same sqlx code on whichever pool this is (the SQL must suit both backends: `$N`
/// parameters, which SQLite accepts too).
#[macro_export]
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::database::Database::Sqlite($pool) => $body,
            $crate::database::Database::Postgres($pool) => $body,
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_errors_from_either_backend_are_told_with_what_to_do() {
        // SQLite's extended codes: FULL, READONLY_DBMOVED (8 | 4 << 8), IOERR_WRITE (10 | 3 << 8).
        assert_eq!(disk_hint(Some("13")), Some(DISK_FULL));
        assert_eq!(disk_hint(Some("1032")), Some(DISK_READ_ONLY));
        assert_eq!(disk_hint(Some("8")), Some(DISK_READ_ONLY));
        assert_eq!(disk_hint(Some("778")), Some(DISK_FAILED));
        // PostgreSQL's SQLSTATEs: disk_full, read_only_sql_transaction, io_error.
        assert_eq!(disk_hint(Some("53100")), Some(DISK_FULL));
        assert_eq!(disk_hint(Some("25006")), Some(DISK_READ_ONLY));
        assert_eq!(disk_hint(Some("58030")), Some(DISK_FAILED));
        // Anything else keeps its cause for the log only: a constraint, a lock, a serialization
        // failure (40001 is a conflict elsewhere), SQLite's BUSY (5) and CONSTRAINT (19).
        for other in ["5", "19", "2067", "23505", "40001", "57P01"] {
            assert_eq!(disk_hint(Some(other)), None, "{other}");
        }
        assert_eq!(disk_hint(None), None);

        // And an operating-system error on the way (ENOSPC, EROFS).
        let full = failed("the level")(sqlx::Error::Io(std::io::Error::from_raw_os_error(28)));
        let read_only = failed("the level")(sqlx::Error::Io(std::io::Error::from_raw_os_error(30)));
        assert!(matches!(
            full,
            StoreError::Unavailable {
                hint: Some(DISK_FULL),
                ..
            }
        ));
        assert!(matches!(
            read_only,
            StoreError::Unavailable {
                hint: Some(DISK_READ_ONLY),
                ..
            }
        ));
    }
}
