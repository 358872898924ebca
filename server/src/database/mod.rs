//! The database: one pool, SQLite by default (a file in the data directory, WAL mode) or
//! PostgreSQL. Owns connecting, migrations and the health probe; the repositories beside it
//! (`instruments`, `intents`, `levels`, `risk`, `trades`, `watchlists`) borrow the pool and hold no rules.
//! `failures` maps sqlx's errors onto the ports' `StoreError` (a disk's with what to do);
//! `commits` keeps SQLite's writes honest (a `RETURNING` read to its end, a connection a refused
//! COMMIT left behind closed).

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use osp_core::model::TradingMode;
use osp_core::ports::DatabaseProbe;
use secrecy::ExposeSecret;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use crate::config::DatabaseSettings;

mod alerts;
mod broker_alerts;
mod commits;
mod failures;
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

pub(crate) use commits::{first_row, only_row};
pub use failures::failed;
use failures::{DISK_FULL, DISK_READ_ONLY};

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
                .after_release(|conn, _| Box::pin(commits::left_whole(conn)))
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
