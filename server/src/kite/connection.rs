//! The account's Kite connection: the Kite app's API key and secret (the secret sealed at
//! rest), and the login flow. "Connect Kite" (`GET /kite/connect`, admins) sends the browser
//! to Kite's login page with a single-use `state` in `redirect_params`; Kite (in demo mode, the
//! simulator's login page) sends it back to `GET /kite/callback` with `status` and
//! `request_token`. The callback takes only a `status=success` carrying a state this server
//! issued in the last ten minutes — so a login started elsewhere, or a forged callback, is
//! refused — exchanges the token (with the checksum), and stores the access token sealed. The
//! state is what ties the callback to the admin who started it: the session cookie is
//! SameSite=Strict and does not come along on Kite's cross-site redirect.
//!
//! `POST /kite/postback`: Kite's order postbacks, taken only with a valid checksum
//! (SHA-256 of order_id + order_timestamp + api_secret) and fed into the same order updates
//! as the ticker's.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use osp_core::model::{
    BrokerOrder, FieldProblem, KiteSession, KiteStatus, StateChange, UserId,
    kite_credentials_problems,
};
use osp_core::ports::{ChangeNotifier, Clock, KiteConnection};
use osp_core::services::accounts::PendingLogins;
use osp_core::services::announcer::Announcer;
use osp_core::services::trading::{BrokerSession, kite_session_end_ms};
use rand::Rng as _;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::database::Database;
use crate::secrets::SecretBox;
use kite_connect::broker::domain_order;
use kite_connect::http::KiteClient;
use kite_connect::http::error::Retry;
use kite_connect::http::models::OrderUpdate;

/// How long start-up asks Kite whether the saved session still stands.
const RESUME_CHECK: std::time::Duration = std::time::Duration::from_secs(5);
/// Why a callback or postback was refused (the message is for the user or the log).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KiteFlowError {
    #[error("Kite reported the login as {0:?}, not success: try Connect Kite again")]
    NotSuccess(String),
    #[error("the login came back without a request_token: try Connect Kite again")]
    NoRequestToken,
    #[error(
        "this login was not started here, has been used, or took over ten minutes: press Connect Kite again"
    )]
    UnknownState,
    #[error("Kite refused the login: {0}")]
    Exchange(String),
    #[error("the postback's checksum does not match")]
    BadChecksum,
    #[error("the postback is not a Kite order: {0}")]
    BadPostback(String),
    #[error("no API secret is known to check postbacks with")]
    NoSecret,
    #[error(
        "the postback's order_timestamp {0:?} is not within a day of now: a stale or replayed postback"
    )]
    StalePostback(String),
    #[error("this postback was taken already (a replay)")]
    ReplayedPostback,
    #[error("Kite could not be asked for the order the postback names: {0}")]
    OrderUnreadable(String),
    #[error(
        "no Kite app is saved yet: enter your app's API key and secret on the Settings page first"
    )]
    NoApp,
    #[error("{0}")]
    Store(String),
}

pub struct KiteAccount {
    database: Database,
    secrets: SecretBox,
    /// The app's Kite client (demo: logged in to the simulator).
    client: Arc<KiteClient>,
    /// The app secret postbacks are checked with (demo: the simulator's).
    api_secret: Option<SecretString>,
    simulated: bool,
    clock: Arc<dyn Clock>,
    /// Logins in flight (single-use states with a TTL: the core's rule).
    pending: Mutex<PendingLogins>,
    /// Postbacks taken (order id, timestamp, status), the newest `SEEN_POSTBACKS`.
    seen_postbacks: Mutex<SeenPostbacks>,
    /// Order updates from postbacks go where the ticker's go.
    order_updates: tokio::sync::broadcast::Sender<BrokerOrder>,
    /// Ended by a disconnect (or the broker), restored by a login.
    session: Arc<BrokerSession>,
    /// Told of a login, a disconnect or a new app, for the other processes (which `resume`).
    changes: Announcer,
}

pub struct KiteAccountParts {
    pub session: Arc<BrokerSession>,
    pub database: Database,
    pub secrets: SecretBox,
    pub client: Arc<KiteClient>,
    pub api_secret: Option<SecretString>,
    pub simulated: bool,
    pub clock: Arc<dyn Clock>,
    pub order_updates: tokio::sync::broadcast::Sender<BrokerOrder>,
    pub changes: Option<Arc<dyn ChangeNotifier>>,
}

impl KiteAccount {
    pub fn new(parts: KiteAccountParts) -> KiteAccount {
        KiteAccount {
            database: parts.database,
            secrets: parts.secrets,
            client: parts.client,
            api_secret: parts.api_secret,
            simulated: parts.simulated,
            clock: parts.clock,
            pending: Mutex::new(PendingLogins::new()),
            seen_postbacks: Mutex::new(SeenPostbacks::default()),
            order_updates: parts.order_updates,
            session: parts.session,
            changes: Announcer::maybe(parts.changes),
        }
    }

    fn announce(&self) {
        self.changes.tell(StateChange::KiteSession);
    }

    /// Where to send `user`'s browser to log in to Kite.
    pub fn begin(&self, user: UserId) -> Result<String, KiteFlowError> {
        if self.client.api_key().is_empty() {
            return Err(KiteFlowError::NoApp);
        }
        let state: String = {
            let mut rng = rand::rng();
            (0..32)
                .map(|_| {
                    char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.random_range(0..36)])
                })
                .collect()
        };
        let now = self.clock.now_ms();
        self.pending
            .lock()
            .expect("pending logins")
            .begin(state.clone(), user, now);
        let params: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("state", &state)
            .finish();
        Ok(self.client.login_url(Some(&params)))
    }

    /// At start-up, on a real Kite: the Kite app saved on the Settings page (else the
    /// configured one) and, if it is still today's, the session saved by the last login — so
    /// a restart during the day goes on trading without a new login. A session Kite no longer
    /// honours, or none, leaves the broker session ended ("connect Kite") until a login.
    pub async fn resume(&self, configured: Option<(String, SecretString)>) -> Result<(), String> {
        let row = self.database.kite_credentials().await?;
        let now = self.clock.now_ms();
        // Sealed under another secrets.key (it was replaced): start, and say what to do.
        let unreadable = |what: &str| {
            let reason = format!(
                "the saved Kite {what} cannot be opened with this secrets.key; save the Kite app again on the Settings page"
            );
            tracing::warn!(%reason);
            self.session.mark_expired(now, &reason);
        };
        let app = match (row.api_key.clone(), row.api_secret_sealed.as_deref()) {
            (Some(key), Some(sealed)) => match self.secrets.open(sealed) {
                Ok(secret) => Some((key, secret)),
                Err(_) => {
                    unreadable("app secret");
                    return Ok(());
                }
            },
            _ => configured,
        };
        let Some((api_key, api_secret)) = app else {
            self.session.mark_expired(now, "no Kite app is saved yet");
            tracing::warn!(
                "no Kite app yet: save its API key and secret on the Settings page, then Connect Kite"
            );
            return Ok(());
        };
        self.client.set_app(&api_key, api_secret);
        let stored = match (row.access_token_sealed.as_deref(), row.connected_ms) {
            (Some(sealed), Some(since)) if kite_session_end_ms(since) > now => {
                match self.secrets.open(sealed) {
                    Ok(token) => Some((token, since)),
                    Err(_) => {
                        unreadable("session");
                        return Ok(());
                    }
                }
            }
            _ => None,
        };
        let Some((token, since)) = stored else {
            // Another process may have disconnected: the token it held is gone here too.
            self.client.clear_access_token();
            self.session
                .mark_expired(now, "not connected to Kite since the last 06:00 IST");
            tracing::warn!(
                api_key,
                "Kite is not connected: press Connect Kite on the Settings page"
            );
            return Ok(());
        };
        self.client.set_access_token(token);
        self.session.started(since);
        // Kite may have ended it sooner (a logout elsewhere): ask once, now — briefly, so an
        // unreachable Kite does not hold start-up up.
        let asked = tokio::time::timeout(RESUME_CHECK, self.client.profile()).await;
        match asked.unwrap_or(Err(kite_connect::http::KiteError::Timeout {
            after: RESUME_CHECK,
        })) {
            Ok(profile) => {
                tracing::info!(kite_user = %profile.user_id, "the saved Kite session is still valid");
            }
            Err(e) if e.retry() == Retry::Reauthenticate => {
                self.client.clear_access_token();
                self.session.mark_expired(now, &e.to_string());
                tracing::warn!(error = %e, "the saved Kite session has ended: press Connect Kite");
            }
            Err(e) => {
                tracing::warn!(error = %e, "Kite could not be asked about the saved session; using it");
            }
        }
        Ok(())
    }

    /// The callback: checks it, exchanges the request token, stores the session sealed.
    pub async fn complete(
        &self,
        status: Option<&str>,
        request_token: Option<&str>,
        state: Option<&str>,
    ) -> Result<KiteSession, KiteFlowError> {
        // The state first: a callback this server did not ask for gets nothing, whatever else
        // it carries.
        let now = self.clock.now_ms();
        let started = state.and_then(|s| self.pending.lock().expect("pending logins").take(s, now));
        let Some(user) = started else {
            return Err(KiteFlowError::UnknownState);
        };
        match status {
            Some("success") => {}
            other => {
                return Err(KiteFlowError::NotSuccess(
                    other.unwrap_or("missing").to_owned(),
                ));
            }
        }
        let token = request_token
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(KiteFlowError::NoRequestToken)?;
        let session = self
            .client
            .generate_session(token)
            .await
            .map_err(|e| KiteFlowError::Exchange(e.to_string()))?;
        let sealed = self.secrets.seal(&session.access_token);
        self.database
            .save_kite_session(
                &sealed,
                &session.profile.user_id,
                &session.profile.user_name,
                now,
            )
            .await
            .map_err(KiteFlowError::Store)?;
        let resumed = self.session.started(now);
        self.announce();
        tracing::info!(
            kite_user = %session.profile.user_id,
            by_user = user.0,
            resumed,
            "Kite connected"
        );
        Ok(KiteSession {
            user_id: session.profile.user_id,
            user_name: session.profile.user_name,
            since_ms: now,
        })
    }

    /// The secret postbacks are checked with: the stored app's, else the configured one.
    async fn postback_secret(&self) -> Result<SecretString, KiteFlowError> {
        if !self.simulated {
            let row = self
                .database
                .kite_credentials()
                .await
                .map_err(KiteFlowError::Store)?;
            if let Some(sealed) = row.api_secret_sealed {
                return self
                    .secrets
                    .open(&sealed)
                    .map_err(|e| KiteFlowError::Store(e.to_string()));
            }
        }
        self.api_secret.clone().ok_or(KiteFlowError::NoSecret)
    }

    /// A postback: taken only with the right checksum, a timestamp within a day of now, and
    /// not seen before. Its checksum covers only the order id and timestamp, so nothing else
    /// in it is believed: the order is read back from Kite and Kite's own record is what is
    /// handed on as an order update (a postback with a made-up status or price changes
    /// nothing).
    pub async fn postback(&self, body: &[u8]) -> Result<BrokerOrder, KiteFlowError> {
        let update: OrderUpdate =
            serde_json::from_slice(body).map_err(|e| KiteFlowError::BadPostback(e.to_string()))?;
        let secret = self.postback_secret().await?;
        let timestamp = update.order.order_timestamp.clone().unwrap_or_default();
        let expected = postback_checksum(&update.order.order_id, &timestamp, &secret);
        let given = update.checksum.as_deref().unwrap_or("");
        if !constant_time_eq(expected.as_bytes(), given.to_ascii_lowercase().as_bytes()) {
            return Err(KiteFlowError::BadChecksum);
        }
        let fresh = kite_connect::history::parse_kite_time(&timestamp)
            .is_some_and(|at| (self.clock.now_ms() - at).abs() <= POSTBACK_MAX_AGE_MS);
        if !fresh {
            return Err(KiteFlowError::StalePostback(timestamp));
        }
        let key = (
            update.order.order_id.clone(),
            timestamp,
            update.order.status.clone(),
        );
        if !lock(&self.seen_postbacks).insert(key) {
            return Err(KiteFlowError::ReplayedPostback);
        }
        let history = self
            .client
            .order_history(&update.order.order_id)
            .await
            .map_err(|e| KiteFlowError::OrderUnreadable(e.to_string()))?;
        let Some(latest) = history.into_iter().last() else {
            return Err(KiteFlowError::OrderUnreadable(format!(
                "Kite has no order {}",
                update.order.order_id
            )));
        };
        let order = domain_order(latest);
        // No subscriber is fine: the order book is the record.
        let _ = self.order_updates.send(order.clone());
        Ok(order)
    }
}

/// How far a postback's timestamp may be from now (an order's postbacks all come the day it
/// works).
const POSTBACK_MAX_AGE_MS: i64 = 24 * 3_600_000;
/// How many postbacks are remembered against replays.
const SEEN_POSTBACKS: usize = 20_000;

/// The postbacks taken, oldest first out.
#[derive(Default)]
struct SeenPostbacks {
    keys: std::collections::HashSet<(String, String, String)>,
    order: std::collections::VecDeque<(String, String, String)>,
}

impl SeenPostbacks {
    /// False when `key` was seen already.
    fn insert(&mut self, key: (String, String, String)) -> bool {
        if !self.keys.insert(key.clone()) {
            return false;
        }
        self.order.push_back(key);
        if self.order.len() > SEEN_POSTBACKS
            && let Some(oldest) = self.order.pop_front()
        {
            self.keys.remove(&oldest);
        }
        true
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Kite's postback checksum: hex SHA-256 of order_id + order_timestamp + api_secret.
pub fn postback_checksum(order_id: &str, order_timestamp: &str, secret: &SecretString) -> String {
    let mut hasher = Sha256::new();
    hasher.update(order_id.as_bytes());
    hasher.update(order_timestamp.as_bytes());
    hasher.update(secret.expose_secret().as_bytes());
    hex::encode(hasher.finalize())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[async_trait]
impl KiteConnection for KiteAccount {
    async fn status(&self) -> Result<KiteStatus, String> {
        let row = self.database.kite_credentials().await?;
        let connected = match (row.user_id, row.connected_ms, row.access_token_sealed) {
            (Some(user_id), Some(since_ms), Some(_)) => Some(KiteSession {
                user_id,
                user_name: row.user_name.unwrap_or_default(),
                since_ms,
            }),
            _ => None,
        };
        // A session that has ended (06:00 IST, Kite's refusal, a new app) is not "connected",
        // whatever the last login stored.
        let connected = connected.filter(|_| !self.session.is_expired());
        Ok(KiteStatus {
            simulated: self.simulated,
            api_key: row.api_key,
            has_secret: row.api_secret_sealed.is_some(),
            connected,
        })
    }

    async fn save_app(
        &self,
        api_key: &str,
        api_secret: &str,
    ) -> Result<Result<KiteStatus, Vec<FieldProblem>>, String> {
        let problems = kite_credentials_problems(api_key, api_secret);
        if !problems.is_empty() {
            return Ok(Err(problems));
        }
        let sealed = self.secrets.seal(api_secret.trim());
        let now = self.clock.now_ms();
        self.database
            .save_kite_app(api_key.trim(), &sealed, now)
            .await?;
        tracing::info!(api_key = api_key.trim(), "Kite app saved (secret sealed)");
        // On a real Kite the saved app is the one used from now on; a session belongs to the
        // app it was made with, so the next Connect Kite makes a new one.
        if !self.simulated && self.client.api_key() != api_key.trim() {
            self.client.set_app(
                api_key.trim(),
                SecretString::from(api_secret.trim().to_owned()),
            );
            self.database.clear_kite_session(now).await?;
            self.session.end_now(
                now,
                "a new Kite app was saved; press Connect Kite to log in with it",
            );
        } else if !self.simulated {
            self.client
                .set_app_secret(SecretString::from(api_secret.trim().to_owned()));
        }
        self.announce();
        self.status().await.map(Ok)
    }

    async fn disconnect(&self) -> Result<KiteStatus, String> {
        if self.client.is_logged_in()
            && let Err(e) = self.client.invalidate_session().await
        {
            // Forgotten here all the same: a token Kite still honours is useless without it.
            tracing::warn!(error = %e, "Kite did not confirm the logout");
        }
        let now = self.clock.now_ms();
        self.database.clear_kite_session(now).await?;
        self.session
            .mark_expired(now, "disconnected on the Settings page");
        self.announce();
        tracing::info!("Kite disconnected: nothing is sent until it is connected again");
        self.status().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_postback_checksum_matches_kites_published_example() {
        // Zerodha's published postback (shared/kite-fixtures/postback.json) was made with an
        // unpublished secret; the formula is checked on known values instead.
        let secret = SecretString::from("secret");
        let sum = postback_checksum("220303000308932", "2022-03-03 09:24:25", &secret);
        let mut h = Sha256::new();
        h.update(b"2203030003089322022-03-03 09:24:25secret");
        assert_eq!(sum, hex::encode(h.finalize()));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
