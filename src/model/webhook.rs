//! The account's outgoing webhook, as the Settings page shows it: where alert firings are
//! POSTed (signed with HMAC-SHA256), and the delivery log. Never the secret, except once, when
//! it is made.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookView {
    /// Where firings go; `None`: no webhook.
    pub url: Option<String>,
    /// The newest deliveries first.
    pub deliveries: Vec<WebhookDelivery>,
}

/// A webhook just saved: its signing secret, shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookSaved {
    pub url: String,
    pub secret: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not yet accepted; tried again at `next_attempt_ms`.
    Pending,
    Delivered,
    /// Given up after the last attempt.
    Failed,
}

impl DeliveryState {
    pub fn code(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }

    pub fn parse(code: &str) -> Option<DeliveryState> {
        [
            DeliveryState::Pending,
            DeliveryState::Delivered,
            DeliveryState::Failed,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    pub id: i64,
    /// The alert firing it carries (`None`: a test sent from the Settings page).
    pub alert_event: Option<i64>,
    pub url: String,
    /// What was (or will be) POSTed.
    pub payload: String,
    pub state: DeliveryState,
    pub attempts: u32,
    /// The receiver's last HTTP status, if it answered.
    pub last_status: Option<u16>,
    /// Why the last attempt failed, in words.
    pub last_error: Option<String>,
    pub next_attempt_ms: i64,
    pub created_ms: i64,
    pub delivered_ms: Option<i64>,
}
