//! The account's outgoing webhook: every alert firing (the app's own, and those Kite counted
//! for its alerts, seen by the Kite alerts sync) is POSTed as JSON to the URL an admin
//! set, signed so the receiver can tell it came from here, and retried with back-off until
//! the receiver answers 2xx (or six attempts fail). The alert history is the outbox: the
//! worker turns firings after the webhook was saved into deliveries (one per firing, by a
//! unique key, so a crash or a second pass never sends one twice), then sends those due. Each
//! delivery keeps its attempts, the last status or error, and when it was taken: the log on
//! the Settings page.
//!
//! The request: `POST <url>`, `Content-Type: application/json`, `X-OSP-Event: alert.fired`
//! (or `kite_alert.fired`, `broker.mismatch`, or `test`), `X-OSP-Delivery: <id>`, `X-OSP-Timestamp: <unix seconds>`, and
//! `X-OSP-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. A receiver
//! recomputes it with its copy of the secret, compares in constant time, and refuses a
//! timestamp far from its clock (a replay).
//!
//! Only public addresses receive one (`webhook_policy::is_public`): the name is resolved on
//! every delivery by the client's own resolver, which drops private, loopback and link-local
//! answers (so a name that later points inside — DNS rebinding — finds nothing to connect to),
//! and an address written in the URL is checked before each attempt. `server.webhook_private_hosts`
//! names the private hosts an operator does want (a receiver on the same machine). The URL is
//! never logged whole (its path often holds the receiver's token): its host only.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use osp_core::model::{
    AlertEvent, BrokerAlertFiring, DeliveryState, FieldProblem, Mismatch, WebhookDelivery,
    WebhookSaved, WebhookView,
};
use osp_core::ports::{Clock, Webhooks};
use osp_core::services::service_error::ServiceError;
use rand::Rng as _;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::database::Database;
use crate::secrets::SecretBox;

/// One attempt, connect to last byte.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
/// Deliveries sent per pass, at most.
const BATCH: u32 = 20;

/// What the `webhook` account setting holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WebhookConfig {
    pub url: String,
    pub secret_sealed: String,
    /// Firings up to this id were before the webhook: not sent.
    pub after_event: i64,
    /// Kite alerts' firings recorded up to this moment were before the webhook: not sent
    /// (0 for a webhook saved before they were relayed: every one recorded since is sent).
    #[serde(default)]
    pub after_kite_ms: i64,
}

/// `sha256=<hex>` of `timestamp.body` under `secret`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

pub use osp_core::services::webhook_policy::{
    MAX_ATTEMPTS, backoff_ms, host_of, is_public, url_problem,
};

/// The names the operator allowed inside a private network (`server.webhook_private_hosts`).
#[derive(Clone, Debug, Default)]
pub struct PrivateHosts(Arc<Vec<String>>);

impl PrivateHosts {
    pub fn new(hosts: Vec<String>) -> PrivateHosts {
        PrivateHosts(Arc::new(hosts))
    }

    fn allows(&self, host: &str) -> bool {
        self.0.iter().any(|h| h == host)
    }

    /// What is wrong with sending to `url`'s host as it is written, if anything: an address
    /// (or `localhost`) inside a private network that the operator did not name.
    /// The host is read as the HTTP client will read it (WHATWG URL parsing: `2130706433`,
    /// `0x7f.1` and `127.1` are all 127.0.0.1), never from the text alone.
    pub fn problem(&self, url: &str) -> Option<String> {
        let Ok(parsed) = reqwest::Url::parse(url.trim()) else {
            return Some("the address cannot be read as a URL".to_owned());
        };
        // Normalised by the parser: an IPv4 address in dotted form, IPv6 in brackets.
        let Some(written) = parsed.host_str() else {
            return Some("the address needs a host".to_owned());
        };
        let host = written
            .trim_start_matches('[')
            .trim_end_matches(']')
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let ip = host.parse::<std::net::IpAddr>().ok();
        if self.allows(&host) {
            return None;
        }
        let inside = match ip {
            Some(ip) => !is_public(ip),
            None => host == "localhost" || host.ends_with(".localhost"),
        };
        inside.then(|| {
            format!(
                "{host} is inside a private network (loopback, private or link-local): a webhook goes to a public address, unless the operator names the host in server.webhook_private_hosts"
            )
        })
    }
}

/// The webhook client's resolver: the system's answers without the private ones, unless the
/// operator named the host.
struct PublicOnly(PrivateHosts);

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_ascii_lowercase();
        let allowed = self.0.allows(&host);
        Box::pin(async move {
            let found: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|addr| allowed || is_public(addr.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!(
                    "{host} has no public address (private ones are refused unless named in server.webhook_private_hosts)"
                )
                .into());
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The JSON a firing is sent as.
pub fn alert_payload(event: &AlertEvent) -> String {
    serde_json::json!({
        "type": "alert.fired",
        "event_id": event.id,
        "alert_id": event.alert.0,
        "at_ms": event.at_ms,
        "text": event.text,
        "last_price": event.last_price.to_string(),
        "value": event.value,
        "target_value": event.target_value,
    })
    .to_string()
}

/// The JSON a Kite alert's firing is posted as.
pub fn kite_alert_payload(firing: &BrokerAlertFiring) -> String {
    serde_json::json!({
        "type": "kite_alert.fired",
        "kite_alert_id": firing.alert_id,
        "count": firing.seq,
        "name": firing.name,
        "at_ms": firing.recorded_ms,
        "text": firing.text,
    })
    .to_string()
}

/// The JSON a broker mismatch is posted as: units the broker holds that the app's trades do
/// not explain, which hold entries on the instrument back until acknowledged.
pub fn mismatch_payload(m: &Mismatch) -> String {
    serde_json::json!({
        "type": "broker.mismatch",
        "exchange": m.exchange.code(),
        "tradingsymbol": m.tradingsymbol,
        "product": m.product.map(|p| p.kite_name()),
        "held": m.held,
        "managed": m.managed,
        "outside": m.outside(),
        "at_ms": m.seen_ms,
        "text": m.describe(),
    })
    .to_string()
}

pub struct WebhookSender {
    database: Database,
    secrets: SecretBox,
    clock: Arc<dyn Clock>,
    http: reqwest::Client,
    private_hosts: PrivateHosts,
}

impl WebhookSender {
    pub fn new(
        database: Database,
        secrets: SecretBox,
        clock: Arc<dyn Clock>,
        private_hosts: Vec<String>,
    ) -> anyhow::Result<Self> {
        let private_hosts = PrivateHosts::new(private_hosts);
        let http = reqwest::Client::builder()
            .dns_resolver(Arc::new(PublicOnly(private_hosts.clone())))
            .timeout(ATTEMPT_TIMEOUT)
            // A redirect could send the payload somewhere the admin did not choose.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("osp-webhook/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            database,
            secrets,
            clock,
            http,
            private_hosts,
        })
    }

    async fn config(&self) -> Result<Option<WebhookConfig>, String> {
        Ok(self.database.webhook_config().await?)
    }

    /// One pass: firings since the last one become deliveries, and the deliveries due are
    /// sent. The number of attempts made.
    pub async fn run_once(&self) -> Result<usize, String> {
        let Some(config) = self.config().await? else {
            return Ok(0);
        };
        let now = self.clock.now_ms();
        self.database
            .enqueue_alert_deliveries(&config, now, alert_payload)
            .await?;
        self.database
            .enqueue_kite_deliveries(&config, now, kite_alert_payload)
            .await?;
        self.database
            .enqueue_mismatch_deliveries(&config, now, mismatch_payload)
            .await?;
        let secret = self
            .secrets
            .open(&config.secret_sealed)
            .map_err(|e| format!("the webhook's secret cannot be opened: {e}"))?;
        let due = self.database.due_deliveries(now, BATCH).await?;
        let mut attempts = 0;
        for delivery in due {
            attempts += 1;
            self.attempt(&delivery, &secret).await?;
        }
        Ok(attempts)
    }

    async fn attempt(
        &self,
        delivery: &WebhookDelivery,
        secret: &SecretString,
    ) -> Result<(), String> {
        let timestamp = self.clock.now_ms() / 1000;
        // Every payload names its event (`alert.fired`, `kite_alert.fired`, `broker.mismatch`, `test`).
        let kind = serde_json::from_str::<serde_json::Value>(&delivery.payload)
            .ok()
            .and_then(|v| v["type"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "test".to_owned());
        // An address written in the URL never meets the resolver: checked here, every time.
        if let Some(problem) = self.private_hosts.problem(&delivery.url) {
            return self.failed(delivery, None, problem).await;
        }
        let result = self
            .http
            .post(&delivery.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-OSP-Event", kind)
            .header("X-OSP-Delivery", delivery.id.to_string())
            .header("X-OSP-Timestamp", timestamp.to_string())
            .header(
                "X-OSP-Signature",
                signature(secret.expose_secret(), timestamp, &delivery.payload),
            )
            .body(delivery.payload.clone())
            .send()
            .await;
        let attempts = delivery.attempts + 1;
        let (status, error) = match result {
            Ok(response) if response.status().is_success() => {
                let now = self.clock.now_ms();
                self.database
                    .delivery_done(delivery.id, attempts, response.status().as_u16(), now)
                    .await?;
                metrics::counter!("osp_webhook_deliveries_total", "result" => "delivered")
                    .increment(1);
                return Ok(());
            }
            Ok(response) => (
                Some(response.status().as_u16()),
                format!("the receiver answered {}", response.status()),
            ),
            // Without the URL: it may hold a token of the receiver's.
            Err(e) => (None, describe(&e.without_url())),
        };
        self.failed(delivery, status, error).await
    }

    /// Records a failed attempt: tried again after the back-off, or given up.
    async fn failed(
        &self,
        delivery: &WebhookDelivery,
        status: Option<u16>,
        error: String,
    ) -> Result<(), String> {
        let now = self.clock.now_ms();
        let attempts = delivery.attempts + 1;
        let state = if attempts >= MAX_ATTEMPTS {
            tracing::warn!(delivery = delivery.id, %error, "webhook delivery given up");
            metrics::counter!("osp_webhook_deliveries_total", "result" => "failed").increment(1);
            DeliveryState::Failed
        } else {
            tracing::info!(delivery = delivery.id, attempts, %error, "webhook delivery failed; trying again");
            DeliveryState::Pending
        };
        Ok(self
            .database
            .delivery_failed(
                delivery.id,
                state,
                attempts,
                status,
                &error,
                now + backoff_ms(attempts),
            )
            .await?)
    }
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        format!("no answer within {} s", ATTEMPT_TIMEOUT.as_secs())
    } else if error.is_connect() {
        "could not connect to the receiver".to_owned()
    } else {
        "the request failed".to_owned()
    }
}

#[async_trait]
impl Webhooks for WebhookSender {
    async fn view(&self, limit: u32) -> Result<WebhookView, ServiceError> {
        Ok(WebhookView {
            url: self.database.webhook_config().await?.map(|c| c.url),
            deliveries: self.database.deliveries(limit.clamp(1, 200)).await?,
        })
    }

    async fn save(&self, url: &str) -> Result<WebhookSaved, ServiceError> {
        if let Some(problem) = url_problem(url).or_else(|| self.private_hosts.problem(url)) {
            return Err(ServiceError::Invalid(vec![FieldProblem::new(
                "url", problem,
            )]));
        }
        let secret: String = {
            let mut rng = rand::rng();
            (0..40)
                .map(|_| {
                    char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.random_range(0..36)])
                })
                .collect()
        };
        let config = WebhookConfig {
            url: url.trim().to_owned(),
            secret_sealed: self.secrets.seal(&secret),
            after_event: self.database.last_alert_event_id().await?,
            after_kite_ms: self.clock.now_ms(),
        };
        self.database
            .save_webhook_config(Some(&config), self.clock.now_ms())
            .await?;
        // The host only: the path often holds the receiver's token.
        tracing::info!(host = %host_of(&config.url), "webhook saved (a new secret)");
        Ok(WebhookSaved {
            url: config.url,
            secret,
        })
    }

    async fn remove(&self) -> Result<(), ServiceError> {
        Ok(self
            .database
            .save_webhook_config(None, self.clock.now_ms())
            .await?)
    }

    async fn send_test(&self) -> Result<WebhookDelivery, ServiceError> {
        let Some(config) = self.database.webhook_config().await? else {
            return Err(ServiceError::Refused(
                "save a webhook address first".to_owned(),
            ));
        };
        let now = self.clock.now_ms();
        let payload = serde_json::json!({
            "type": "test",
            "at_ms": now,
            "text": "A test from OS Platforms: this webhook receives alert firings.",
        })
        .to_string();
        let delivery = self
            .database
            .insert_delivery(None, &config.url, &payload, now)
            .await?;
        Ok(delivery)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac key
        assert_eq!(
            signature("key", 1_700_000_000, r#"{"a":1}"#),
            format!(
                "sha256={}",
                "a438e398bfafc57e4396bb7fc2304422f0f768e965d073ca313cb52e22e6ad03"
            )
        );
    }
}
