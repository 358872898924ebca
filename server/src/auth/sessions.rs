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
    /// The process's answers, shared by every socket of the session.
    pub checks: SessionChecks,
}

impl StillSignedIn {
    /// `false` only when the session is known to have ended. An answer younger than
    /// `SessionChecks::FRESH_MS` is reused; a store that cannot answer (the database down or
    /// busy) keeps the socket open — signing out needs that store too — and is asked again
    /// at the next check.
    pub async fn holds(&self) -> bool {
        let now = self.clock.now_ms();
        if let Some(answer) = self.checks.fresh(self.id, now) {
            return answer;
        }
        match self.ask().await {
            Ok(answer) => {
                self.checks.put(self.id, now, answer);
                answer
            }
            Err(e) => {
                tracing::debug!(error = %e, "a price socket's session could not be checked; asked again at the next check");
                true
            }
        }
    }

    async fn ask(&self) -> Result<bool, String> {
        let Some(record) = self
            .backend
            .load(&self.id)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(false);
        };
        let Some(signed) = record
            .data
            .get(KEY)
            .and_then(|v| serde_json::from_value::<SignedIn>(v.clone()).ok())
        else {
            return Ok(false);
        };
        if self.clock.now_ms().saturating_sub(signed.signed_in_ms) > self.absolute_timeout_ms {
            return Ok(false);
        }
        Ok(self
            .accounts
            .session_user(signed.user_id(), signed.generation)
            .await
            .map_err(|e| e.to_string())?
            .is_some())
    }
}

/// The last answer per session to "does it still stand", shared by a process's price sockets:
/// a session's sockets (tabs and devices; the soak's 500 browsers share one) ask the database
/// once per `FRESH_MS` between them. Each asking on its own every 5 s was 200 queries a second
/// for one user, and each socket's sends waited on its query for a pooled connection.
#[derive(Clone, Default)]
pub struct SessionChecks(Arc<std::sync::Mutex<std::collections::HashMap<Id, (i64, bool)>>>);

impl SessionChecks {
    /// How long an answer is reused: half the sockets' 5 s check, so a sign-out closes them
    /// within 7.5 s.
    pub const FRESH_MS: i64 = 2_500;
    /// Past this many sessions, answers no longer fresh are dropped.
    const MAX_HELD: usize = 4_096;

    fn fresh(&self, id: Id, now_ms: i64) -> Option<bool> {
        let held = self.0.lock().unwrap_or_else(|p| p.into_inner());
        held.get(&id)
            .filter(|(at, _)| now_ms.saturating_sub(*at) < Self::FRESH_MS)
            .map(|(_, answer)| *answer)
    }

    fn put(&self, id: Id, now_ms: i64, answer: bool) {
        let mut held = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if held.len() >= Self::MAX_HELD {
            held.retain(|_, (at, _)| now_ms.saturating_sub(*at) < Self::FRESH_MS);
        }
        held.insert(id, (now_ms, answer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sessions_answer_is_reused_while_fresh_and_old_ones_are_dropped_past_the_bound() {
        let checks = SessionChecks::default();
        let (a, b) = (Id(1), Id(2));
        assert_eq!(checks.fresh(a, 0), None);
        checks.put(a, 1_000, true);
        checks.put(b, 1_000, false);
        assert_eq!(
            checks.fresh(a, 1_000 + SessionChecks::FRESH_MS - 1),
            Some(true)
        );
        assert_eq!(
            checks.fresh(b, 1_000 + SessionChecks::FRESH_MS - 1),
            Some(false)
        );
        assert_eq!(checks.fresh(a, 1_000 + SessionChecks::FRESH_MS), None);
        for n in 0..SessionChecks::MAX_HELD as i128 {
            checks.put(Id(100 + n), 10_000, true);
        }
        // Once full, an answer drops every stale one (a and b), never a fresh one.
        checks.put(Id(-1), 10_001, true);
        let held = checks.0.lock().unwrap();
        assert!(!held.contains_key(&a) && !held.contains_key(&b));
        assert_eq!(held.len(), SessionChecks::MAX_HELD + 1);
    }
}
