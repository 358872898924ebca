//! `KiteClient`: the raw REST client. Every call goes through one path: the circuit breaker,
//! the rate limiter of its class, the request with a timeout, Kite's `{"status","data"}`
//! envelope, and — only where repeating cannot do harm — retries with jittered exponential
//! back-off (`backon`). Endpoint methods live beside this file, one file per area.

use std::marker::PhantomData;
use std::sync::RwLock;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use tokio::sync::watch;

use super::breaker::{BreakerConfig, BreakerState, CircuitBreaker};
use super::error::{ErrorType, KiteError};
use super::limits::{LimitClass, RateLimitConfig, RateLimits};
use crate::common::credential;
use crate::common::login::{KiteLogin, LoginWatch};
use crate::common::urls::KiteEndpoints;

/// Retries for requests that may be repeated.
#[derive(Clone, Copy, Debug)]
pub struct RetryConfig {
    /// Attempts after the first.
    pub max_retries: usize,
    pub min_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_retries: 3,
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

#[derive(Clone, Debug)]
pub struct KiteClientConfig {
    pub endpoints: KiteEndpoints,
    pub api_key: String,
    /// Needed only to exchange a request token for a session.
    pub api_secret: Option<SecretString>,
    /// Per request, connect to last byte.
    pub timeout: Duration,
    pub retry: RetryConfig,
    pub breaker: BreakerConfig,
    pub limits: RateLimitConfig,
}

impl KiteClientConfig {
    pub fn new(endpoints: KiteEndpoints, api_key: impl Into<String>) -> Self {
        Self {
            endpoints,
            api_key: api_key.into(),
            api_secret: None,
            timeout: Duration::from_secs(7),
            retry: RetryConfig::default(),
            breaker: BreakerConfig::default(),
            limits: RateLimitConfig::default(),
        }
    }
}

pub struct KiteClient {
    pub(super) config: KiteClientConfig,
    http: reqwest::Client,
    /// The Kite app in use: starts as configured, replaced when an admin saves another.
    app: RwLock<KiteApp>,
    access_token: RwLock<Option<SecretString>>,
    /// The same session, for the ticker's connections to follow.
    login: watch::Sender<Option<KiteLogin>>,
    limits: RateLimits,
    breaker: CircuitBreaker,
}

/// A Kite app: its key (public) and secret (needed only to exchange a request token).
#[derive(Clone)]
pub(super) struct KiteApp {
    pub api_key: String,
    pub api_secret: Option<SecretString>,
}

/// One request, described before it is sent (so a retry sends the same thing).
pub(super) struct Call {
    pub method: Method,
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub form: Vec<(&'static str, String)>,
    pub json: Option<serde_json::Value>,
    pub class: LimitClass,
    /// May this request be sent again if its outcome is unknown?
    pub idempotent: bool,
    /// Sends the `Authorization` header (everything but the session exchange).
    pub authenticated: bool,
}

impl Call {
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        let idempotent = method == Method::GET;
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            form: Vec::new(),
            json: None,
            class: LimitClass::Other,
            idempotent,
            authenticated: true,
        }
    }
    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path)
    }
    pub fn post(path: impl Into<String>) -> Self {
        Self::new(Method::POST, path)
    }
    pub fn put(path: impl Into<String>) -> Self {
        Self::new(Method::PUT, path)
    }
    pub fn delete(path: impl Into<String>) -> Self {
        Self::new(Method::DELETE, path)
    }
    pub fn query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }
    pub fn form(mut self, form: Vec<(&'static str, String)>) -> Self {
        self.form = form;
        self
    }
    pub fn json(mut self, body: serde_json::Value) -> Self {
        self.json = Some(body);
        self
    }
    pub fn class(mut self, class: LimitClass) -> Self {
        self.class = class;
        self
    }
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }
    pub fn unauthenticated(mut self) -> Self {
        self.authenticated = false;
        self
    }
}

/// Kite's answer, its `data` read straight by a seed (a type's own `Deserialize`, or one that
/// keeps only part of what it reads): going through a `serde_json::Value` first built a map of
/// every field of every order in the day's book — 4.4 MB of small allocations for 2,000 orders
/// at each read of it, which the allocator then kept (the workers' memory rose with the day's
/// order count).
struct Envelope<S, V> {
    status: String,
    data: Data<S, V>,
    message: Option<String>,
    error_type: Option<ErrorType>,
}

/// `data` as read, or the seed left unused when the answer has no `data`.
enum Data<S, V> {
    Read(V),
    Absent(S),
}

struct EnvelopeSeed<S>(S);

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum EnvelopeField {
    Status,
    Data,
    Message,
    ErrorType,
    #[serde(other)]
    Other,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for EnvelopeSeed<S> {
    type Value = Envelope<S, S::Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for EnvelopeSeed<S> {
    type Value = Envelope<S, S::Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("Kite's {\"status\", \"data\"} envelope")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seed = Some(self.0);
        let mut data = None;
        let (mut status, mut message, mut error_type) = (None, None, None);
        while let Some(field) = map.next_key::<EnvelopeField>()? {
            match field {
                EnvelopeField::Status => status = Some(map.next_value::<String>()?),
                EnvelopeField::Data => {
                    let seed = seed
                        .take()
                        .ok_or_else(|| serde::de::Error::duplicate_field("data"))?;
                    data = Some(map.next_value_seed(seed)?);
                }
                EnvelopeField::Message => message = map.next_value()?,
                EnvelopeField::ErrorType => error_type = map.next_value()?,
                EnvelopeField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let data = match (data, seed) {
            (Some(read), _) => Data::Read(read),
            (None, Some(seed)) => Data::Absent(seed),
            (None, None) => unreachable!("a seed is taken only to read `data`"),
        };
        Ok(Envelope {
            status: status.ok_or_else(|| serde::de::Error::missing_field("status"))?,
            data,
            message,
            error_type,
        })
    }
}

/// An answer read for its status and error alone, whatever its `data` holds.
#[derive(Deserialize)]
struct Status {
    status: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    error_type: Option<ErrorType>,
}

impl KiteClient {
    pub fn new(config: KiteClientConfig) -> Result<Self, KiteError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("osp/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| KiteError::InvalidRequest(format!("building the HTTP client: {e}")))?;
        Ok(Self {
            limits: RateLimits::new(config.limits),
            breaker: CircuitBreaker::new(config.breaker),
            app: RwLock::new(KiteApp {
                api_key: config.api_key.clone(),
                api_secret: config.api_secret.clone(),
            }),
            config,
            http,
            access_token: RwLock::new(None),
            login: watch::channel(None).0,
        })
    }

    /// The Kite app's key in use.
    pub fn api_key(&self) -> String {
        self.app().api_key
    }

    pub(super) fn app(&self) -> KiteApp {
        self.app.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Uses another Kite app from now on. A session belongs to the app it was made with, so
    /// any session held is dropped (the ticker disconnects until the next login).
    /// The same app again (the session read back after a change elsewhere) changes nothing:
    /// the session and the ticker's connection stand.
    pub fn set_app(&self, api_key: &str, api_secret: SecretString) {
        {
            let mut app = self.app.write().unwrap_or_else(|p| p.into_inner());
            let same = app.api_key == api_key
                && app
                    .api_secret
                    .as_ref()
                    .is_some_and(|s| s.expose_secret() == api_secret.expose_secret());
            if same {
                return;
            }
            *app = KiteApp {
                api_key: api_key.to_owned(),
                api_secret: Some(api_secret),
            };
        }
        self.clear_access_token();
    }

    /// A new secret for the same app (the session stands: Kite ties it to the key).
    pub fn set_app_secret(&self, api_secret: SecretString) {
        self.app
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .api_secret = Some(api_secret);
    }

    /// The session as the ticker follows it: every change is sent to its connections.
    pub fn login_watch(&self) -> LoginWatch {
        self.login.subscribe()
    }

    pub fn endpoints(&self) -> &KiteEndpoints {
        &self.config.endpoints
    }

    /// Uses a session obtained elsewhere (stored from an earlier login). The session already
    /// in use, again, is not news to the ticker: it keeps its connection (no blind second while
    /// it reconnects).
    pub fn set_access_token(&self, token: SecretString) {
        *self.access_token.write().unwrap_or_else(|p| p.into_inner()) = Some(token.clone());
        let api_key = self.api_key();
        self.login.send_if_modified(|login| {
            let same = login.as_ref().is_some_and(|l| {
                l.api_key == api_key && l.access_token.expose_secret() == token.expose_secret()
            });
            if !same {
                *login = Some(KiteLogin {
                    api_key,
                    access_token: token,
                });
            }
            !same
        });
    }

    pub fn clear_access_token(&self) {
        *self.access_token.write().unwrap_or_else(|p| p.into_inner()) = None;
        self.login.send_replace(None);
    }

    /// Whether the client holds an access token (a login it has not lost or ended).
    pub fn is_logged_in(&self) -> bool {
        self.access_token().is_some()
    }

    pub(super) fn access_token(&self) -> Option<SecretString> {
        self.access_token
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The circuit breaker, for health and the UI.
    pub fn breaker_state(&self) -> BreakerState {
        self.breaker.state()
    }

    /// Sends a call and decodes `data` into `T`, retrying only what is safe to repeat — a read
    /// whose answer came back damaged (not Kite's JSON: a proxy's page, a cut-off body) too.
    pub(super) async fn send<T: DeserializeOwned>(&self, call: Call) -> Result<T, KiteError> {
        self.send_seeded(call, PhantomData::<T>).await
    }

    /// `send` with `data` read by `seed` (one that keeps only part of a long answer).
    pub(super) async fn send_seeded<S, V>(&self, call: Call, seed: S) -> Result<V, KiteError>
    where
        S: for<'de> DeserializeSeed<'de, Value = V> + Clone,
    {
        self.retried(&call, || async {
            let (status, body) = self.attempt(&call).await?;
            decode_envelope_seed(&body, status, seed.clone())
        })
        .await
    }

    /// Sends a call and returns `(status, body)`, retried like `send`.
    pub(super) async fn send_raw(&self, call: &Call) -> Result<(u16, Vec<u8>), KiteError> {
        self.retried(call, || self.attempt(call)).await
    }

    /// `once` repeated with back-off while its error allows it for `call`.
    async fn retried<T, F, Fut>(&self, call: &Call, once: F) -> Result<T, KiteError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, KiteError>>,
    {
        let retry = self.config.retry;
        let backoff = ExponentialBuilder::default()
            .with_min_delay(retry.min_delay)
            .with_max_delay(retry.max_delay)
            .with_max_times(retry.max_retries)
            .with_jitter();
        once.retry(backoff)
            .when(|e: &KiteError| e.retry().allows(call.idempotent))
            .notify(|e: &KiteError, delay: Duration| {
                tracing::warn!(
                    path = %call.path,
                    error = %e,
                    retry_in_ms = delay.as_millis() as u64,
                    "Kite request failed; retrying"
                );
            })
            .await
    }

    /// One try: breaker, rate limit, request, status.
    async fn attempt(&self, call: &Call) -> Result<(u16, Vec<u8>), KiteError> {
        self.breaker
            .admit()
            .map_err(|retry_in| KiteError::CircuitOpen { retry_in })?;
        self.limits.acquire(call.class).await?;
        let outcome = self.execute(call).await;
        match &outcome {
            Ok((status, _)) if *status >= 500 => self.breaker.record_failure(),
            Ok(_) => self.breaker.record_success(),
            Err(e) if e.is_upstream_failure() => self.breaker.record_failure(),
            Err(_) => self.breaker.record_neutral(),
        }
        let result = match &outcome {
            Ok((status, _)) => format!("{}xx", status / 100),
            Err(_) => "no_answer".to_owned(),
        };
        metrics::counter!(
            "osp_broker_calls_total",
            "endpoint" => endpoint_label(call), "result" => result
        )
        .increment(1);
        let open = matches!(
            self.breaker.state(),
            super::breaker::BreakerState::Open { .. }
        );
        metrics::gauge!("osp_broker_circuit_open").set(if open { 1.0 } else { 0.0 });
        let (status, body) = outcome?;
        if status >= 400 {
            return Err(api_error(status, &body));
        }
        Ok((status, body))
    }

    async fn execute(&self, call: &Call) -> Result<(u16, Vec<u8>), KiteError> {
        let url = format!(
            "{}{}",
            self.config.endpoints.api_root.trim_end_matches('/'),
            call.path
        );
        let mut request = self
            .http
            .request(call.method.clone(), &url)
            .header("X-Kite-Version", "3");
        if call.authenticated {
            let token = self.access_token().ok_or(KiteError::NotLoggedIn)?;
            let header =
                credential::authorization(&self.app().api_key, &token).ok_or_else(|| {
                    KiteError::InvalidRequest("the access token has characters HTTP refuses".into())
                })?;
            request = request.header(reqwest::header::AUTHORIZATION, header);
        }
        if !call.query.is_empty() {
            request = request.query(&call.query);
        }
        if let Some(json) = &call.json {
            request = request.json(json);
        } else if !call.form.is_empty() {
            request = request.form(&call.form);
        }
        let endpoint = &self.config.endpoints.api_root;
        let timeout = self.config.timeout;
        let response = request
            .send()
            .await
            .map_err(|e| KiteError::from_reqwest(e, endpoint, timeout))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| KiteError::from_reqwest(e, endpoint, timeout))?;
        Ok((status, body.to_vec()))
    }
}

/// An error status's body as Kite's error envelope, or a typed error from the status alone.
fn api_error(status: u16, body: &[u8]) -> KiteError {
    let envelope: Option<Status> = serde_json::from_slice(body).ok();
    let (message, error_type) = match envelope {
        Some(e) => (e.message, e.error_type),
        None => (None, None),
    };
    KiteError::Api {
        status,
        error_type: error_type.unwrap_or_else(|| ErrorType::for_status(status)),
        message: message.unwrap_or_else(|| match status {
            429 => "too many requests".into(),
            _ => format!("HTTP {status} without an error message"),
        }),
    }
}

/// `{"status":"success","data":…}` → `T`; an error envelope with a 200 is still an error. (The
/// client reads through `decode_envelope_seed` with `PhantomData<T>`; the tests through this.)
#[cfg(test)]
pub(super) fn decode_envelope<T: DeserializeOwned>(
    body: &[u8],
    status: u16,
) -> Result<T, KiteError> {
    decode_envelope_seed(body, status, PhantomData::<T>)
}

/// `decode_envelope` with `data` read by `seed`.
pub(super) fn decode_envelope_seed<'b, S: DeserializeSeed<'b>>(
    body: &'b [u8],
    status: u16,
    seed: S,
) -> Result<S::Value, KiteError> {
    let refused = |error_type: Option<ErrorType>, message: Option<String>| KiteError::Api {
        status,
        error_type: error_type.unwrap_or(ErrorType::GeneralException),
        message: message.unwrap_or_default(),
    };
    let mut json = serde_json::Deserializer::from_slice(body);
    let typed = EnvelopeSeed(seed)
        .deserialize(&mut json)
        .and_then(|envelope| json.end().map(|()| envelope));
    match typed {
        Ok(envelope) if envelope.status == "success" => match envelope.data {
            Data::Read(data) => Ok(data),
            // No `data`: what the seed makes of a null (an `Option`, `()`).
            Data::Absent(seed) => seed
                .deserialize(serde_json::Value::Null)
                .map_err(|e| KiteError::Decode(e.to_string())),
        },
        Ok(envelope) => Err(refused(envelope.error_type, envelope.message)),
        // Not the `T` asked for: an error whose `data` is something else, or not Kite's JSON.
        Err(typed) => {
            let head: Status = serde_json::from_slice(body)
                .map_err(|e| KiteError::Decode(format!("not Kite's JSON envelope: {e}")))?;
            if head.status != "success" {
                return Err(refused(head.error_type, head.message));
            }
            Err(KiteError::Decode(typed.to_string()))
        }
    }
}

/// A call's endpoint for metrics: the method and the first path segment (`POST /orders`), so
/// order ids and alert uuids never become series of their own.
fn endpoint_label(call: &Call) -> String {
    let first = call
        .path
        .trim_start_matches('/')
        .split(['/', '?'])
        .next()
        .unwrap_or_default();
    format!("{} /{first}", call.method)
}

#[cfg(test)]
mod login_tests {
    use super::*;
    use crate::common::urls::KiteEndpoints;

    fn client() -> KiteClient {
        let endpoints = KiteEndpoints::simulator("http://127.0.0.1:9/");
        KiteClient::new(KiteClientConfig::new(endpoints, "key")).expect("a client")
    }

    #[test]
    fn the_same_app_and_session_read_again_leave_the_ticker_connected() {
        let client = client();
        client.set_app("key", SecretString::from("secret"));
        client.set_access_token(SecretString::from("token-1"));
        let mut ticker = client.login_watch();
        ticker.mark_unchanged();
        // Read back after a change elsewhere (or a bus reconnect): nothing new.
        client.set_app("key", SecretString::from("secret"));
        client.set_access_token(SecretString::from("token-1"));
        assert!(!ticker.has_changed().expect("the client lives"));
        assert!(client.is_logged_in());
        // A new login is news; another app drops the session.
        client.set_access_token(SecretString::from("token-2"));
        assert!(ticker.has_changed().expect("the client lives"));
        ticker.mark_unchanged();
        client.set_app("other", SecretString::from("secret"));
        assert!(ticker.has_changed().expect("the client lives"));
        assert!(ticker.borrow_and_update().is_none());
        assert!(!client.is_logged_in());
    }
}
