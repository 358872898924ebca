//! Browser sessions: tower-sessions with its sqlx store, in the app's own database (`sessions`
//! table, made by our migrations). The cookie is HttpOnly, SameSite=Strict, and Secure when the
//! app is served over TLS; it lives until the session has been idle for `idle_timeout`, and
//! the guard ends it anyway `absolute_timeout` after sign-in. Signing in always takes a new
//! session id (no fixation). Expired rows are swept every few minutes.

use std::sync::Arc;
use std::time::Duration;

use app::auth::SessionWriter;
use async_trait::async_trait;
use osp_core::model::{User, UserId};
use osp_core::ports::Clock;
use serde::{Deserialize, Serialize};
use tower_sessions::cookie::SameSite;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use crate::database::Database;

/// The cookie's name (no framework fingerprint in it).
pub const COOKIE: &str = "osp_session";
/// Where the session's sign-in is kept inside it.
const KEY: &str = "auth";
/// How often a session's idle clock is pushed forward (one write a minute at most).
const TOUCH_EVERY_MS: i64 = 60_000;
const SWEEP_EVERY: Duration = Duration::from_secs(300);

/// What a signed-in session holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIn {
    pub user: i64,
    /// The user's session generation at sign-in; a bumped one ends this session.
    pub generation: i64,
    pub signed_in_ms: i64,
    /// When the session was last seen (pushed forward at most once a minute).
    pub seen_ms: i64,
}

impl SignedIn {
    pub fn user_id(&self) -> UserId {
        UserId(self.user)
    }
}

/// The session store on whichever database the app uses.
#[derive(Clone, Debug)]
pub enum SessionBackend {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl SessionBackend {
    pub fn new(database: &Database) -> anyhow::Result<SessionBackend> {
        Ok(match database {
            Database::Sqlite(pool) => SessionBackend::Sqlite(
                SqliteStore::new(pool.clone())
                    .with_table_name("sessions")
                    .map_err(anyhow::Error::msg)?,
            ),
            Database::Postgres(pool) => SessionBackend::Postgres(
                PostgresStore::new(pool.clone())
                    .with_schema_name("public")
                    .map_err(anyhow::Error::msg)?
                    .with_table_name("sessions")
                    .map_err(anyhow::Error::msg)?,
            ),
        })
    }

    /// The layer that loads and saves the session of every request.
    pub fn layer(
        &self,
        secure: bool,
        idle_timeout: Duration,
    ) -> SessionManagerLayer<SessionBackend> {
        SessionManagerLayer::new(self.clone())
            .with_name(COOKIE)
            .with_http_only(true)
            .with_same_site(SameSite::Strict)
            .with_secure(secure)
            .with_path("/")
            .with_expiry(Expiry::OnInactivity(
                time::Duration::try_from(idle_timeout).unwrap_or(time::Duration::HOUR),
            ))
    }

    /// Deletes expired sessions every few minutes until the task is dropped.
    pub async fn sweep(self) {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        loop {
            every.tick().await;
            if let Err(e) = self.delete_expired().await {
                tracing::warn!(error = %e, "expired sessions could not be deleted");
            }
        }
    }
}

#[async_trait]
impl SessionStore for SessionBackend {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            SessionBackend::Sqlite(s) => s.create(record).await,
            SessionBackend::Postgres(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            SessionBackend::Sqlite(s) => s.save(record).await,
            SessionBackend::Postgres(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            SessionBackend::Sqlite(s) => s.load(id).await,
            SessionBackend::Postgres(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            SessionBackend::Sqlite(s) => s.delete(id).await,
            SessionBackend::Postgres(s) => s.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for SessionBackend {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            SessionBackend::Sqlite(s) => s.delete_expired().await,
            SessionBackend::Postgres(s) => s.delete_expired().await,
        }
    }
}

/// The sign-in in `session`, if any; an error when the store cannot be read.
pub async fn signed_in(session: &Session) -> Result<Option<SignedIn>, String> {
    match session.get::<SignedIn>(KEY).await {
        Ok(signed) => Ok(signed),
        // A record of another shape (an older release's) is no sign-in.
        Err(tower_sessions::session::Error::SerdeJson(_)) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// Pushes the session's idle clock forward, at most once a minute.
pub async fn touch(session: &Session, mut signed: SignedIn, now_ms: i64) {
    if now_ms - signed.seen_ms >= TOUCH_EVERY_MS {
        signed.seen_ms = now_ms;
        if let Err(e) = session.insert(KEY, signed).await {
            tracing::warn!(error = %e, "the session could not be refreshed");
        }
    }
}

/// The request's session as the server functions see it.
pub struct RequestSession {
    pub session: Session,
    pub clock: Arc<dyn Clock>,
    pub devices: Arc<super::devices::KnownDevices>,
    /// The request's `Cookie` headers (the device cookie among them).
    pub cookies: axum::http::HeaderMap,
}

#[async_trait]
impl SessionWriter for RequestSession {
    async fn sign_in(&self, user: &User, session_generation: i64) -> Result<(), String> {
        // A new id: a session id planted before sign-in is worthless after it.
        self.session.cycle_id().await.map_err(|e| e.to_string())?;
        let now = self.clock.now_ms();
        self.session
            .insert(
                KEY,
                SignedIn {
                    user: user.id.0,
                    generation: session_generation,
                    signed_in_ms: now,
                    seen_ms: now,
                },
            )
            .await
            .map_err(|e| e.to_string())
    }

    async fn sign_out(&self) -> Result<(), String> {
        self.session.flush().await.map_err(|e| e.to_string())
    }

    fn known_device(&self, username: &str) -> bool {
        self.devices
            .recognises(&self.cookies, username, self.clock.now_ms())
    }

    fn device_cookie(&self, username: &str) -> String {
        self.devices.cookie(username, self.clock.now_ms())
    }
}

/// Whether a session still stands, asked again while a long-lived connection (the price
/// websocket) is open: its record is still in the store (not signed out), it is within the
/// absolute timeout, and its user is still enabled with the same session generation.
#[derive(Clone)]
pub struct StillSignedIn {
    pub backend: SessionBackend,
    pub id: Id,
    pub accounts: Arc<osp_core::services::accounts::AccountService>,
    pub clock: Arc<dyn Clock>,
    pub absolute_timeout_ms: i64,
}

impl StillSignedIn {
    pub async fn holds(&self) -> bool {
        let Ok(Some(record)) = self.backend.load(&self.id).await else {
            return false;
        };
        let Some(signed) = record
            .data
            .get(KEY)
            .and_then(|v| serde_json::from_value::<SignedIn>(v.clone()).ok())
        else {
            return false;
        };
        if self.clock.now_ms().saturating_sub(signed.signed_in_ms) > self.absolute_timeout_ms {
            return false;
        }
        matches!(
            self.accounts
                .session_user(signed.user_id(), signed.generation)
                .await,
            Ok(Some(_))
        )
    }
}
