//! `BrokerAlertDesk`: the alerts kept at the broker (Kite's Alerts API) — made, changed and
//! deleted there through the app, mirrored in the store so the page lists them even while the
//! broker is unreachable, and synced: each sync reads the broker's list, replaces the mirror,
//! and records every firing the broker counted since the last one (with the broker's own
//! history of it), so the toasts and the notification centre tell of them.
//!
//! An ATO alert places orders at the broker when it fires. Only a venue that sends orders to
//! the broker gives the desk `BrokerOrderAlerts`; in paper mode it has none, and an ATO alert
//! is refused before anything is sent. Its basket meets the same risk gate as every order the
//! app sends (a constructor argument, so no desk skips it): while the kill switch is on, or
//! with an order over a per-order limit, the alert is refused before Kite is asked. Engaging
//! the kill switch takes the ATO alerts out of Kite's hands (`suspension.rs`).

mod suspension;

use crate::model::FieldProblem;
use crate::services::service_error::ServiceError;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::broker_draft::{BrokerAlertDraft, BrokerAlertRequest};
use crate::model::{
    AtoOrder, AtoSpec, BROKER_ALERT_LIMIT, BROKER_ALERT_WARN_AT, BrokerAlert, BrokerAlertFiring,
    BrokerAlertHistoryEntry, BrokerAlertKind, BrokerAlertMirror, OrderRequest,
    SuspendedBrokerAlert,
};
use crate::ports::{
    BrokerAlertStore, BrokerAlerts, BrokerError, BrokerErrorKind, BrokerOrderAlerts, Clock,
    StoreError,
};
use crate::services::instruments::InstrumentCatalog;
use crate::services::trading::{PreTradeCheck, StandDown};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BrokerAlertError {
    #[error("the alert has problems")]
    Invalid(Vec<FieldProblem>),
    #[error("no such alert at Kite (it may have been deleted there): sync to see Kite's list")]
    NotFound,
    #[error("no such suspended alert (it may have been put back already): reload the page")]
    NotSuspended,
    #[error(
        "Kite keeps at most {BROKER_ALERT_LIMIT} alerts per account and {0} are in use: delete some first"
    )]
    LimitReached(usize),
    #[error(
        "ATO alerts place orders at Kite, and paper mode never sends an order to Kite: \
         make a simple alert, or a level that places paper orders"
    )]
    OrdersNotHere,
    /// The risk gate refused the basket: the kill switch, or an order over a limit.
    #[error("risk check: {0}")]
    RiskRefused(String),
    /// Kite said no; the message is Kite's, and says what to change.
    #[error("{0}")]
    Refused(String),
    /// Kite could not be reached or failed; nothing was changed there.
    #[error("{0}")]
    BrokerUnavailable(String),
    /// The app's own store failed.
    #[error("{0}")]
    Unavailable(String),
    /// A store port failed (conflict, not found, unavailable), its kind kept.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How the outside is told of it.
impl From<BrokerAlertError> for ServiceError {
    fn from(e: BrokerAlertError) -> Self {
        match e {
            BrokerAlertError::Invalid(problems) => ServiceError::Invalid(problems),
            BrokerAlertError::NotFound => ServiceError::NotFound(
                "that Kite alert (it may have been deleted at Kite: sync to see Kite's list)"
                    .to_owned(),
            ),
            BrokerAlertError::NotSuspended => ServiceError::NotFound(
                "that suspended Kite alert (it may have been put back already: reload the page)"
                    .to_owned(),
            ),
            refused @ (BrokerAlertError::LimitReached(_)
            | BrokerAlertError::OrdersNotHere
            | BrokerAlertError::RiskRefused(_)
            | BrokerAlertError::Refused(_)) => ServiceError::Refused(refused.to_string()),
            BrokerAlertError::BrokerUnavailable(message) => ServiceError::Unavailable(message),
            unavailable @ BrokerAlertError::Unavailable(_) => ServiceError::fault(unavailable),
            BrokerAlertError::Store(e) => ServiceError::Store(e),
        }
    }
}

impl From<BrokerError> for BrokerAlertError {
    fn from(e: BrokerError) -> Self {
        match e.kind {
            BrokerErrorKind::Unauthorized => BrokerAlertError::Refused(format!(
                "Kite refused the session ({}): Connect Kite again",
                e.message
            )),
            BrokerErrorKind::Rejected => BrokerAlertError::Refused(format!("Kite: {}", e.message)),
            BrokerErrorKind::Unavailable | BrokerErrorKind::Uncertain => {
                BrokerAlertError::BrokerUnavailable(format!("Kite: {}", e.message))
            }
        }
    }
}

/// Most firings one alert records in one sync: an alert Kite fired hundreds of times while
/// this app was off (a simple alert fires each time its condition turns true) tells its
/// newest ones, not a flood; the rest are in Kite's history.
pub const MAX_FIRINGS_PER_SYNC: u32 = 20;

/// What the page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerAlertBoard {
    pub mirror: BrokerAlertMirror,
    pub limit: usize,
    pub warn_at: usize,
    /// Whether ATO alerts can be made here (not in paper mode).
    pub orders_allowed: bool,
    /// The ATO alerts the kill switch took from Kite, to put back or let go.
    #[serde(default)]
    pub suspended: Vec<SuspendedBrokerAlert>,
}

impl BrokerAlertBoard {
    /// The warning to show before the limit is hit, if it is near.
    pub fn limit_warning(&self) -> Option<String> {
        let used = self.mirror.alerts.len();
        if used >= self.limit {
            Some(format!(
                "Kite's limit reached: {used} of {} alerts. Delete some at Kite before making more.",
                self.limit
            ))
        } else if used >= self.warn_at {
            Some(format!(
                "{used} of Kite's {} alerts in use: {} left before Kite refuses new ones.",
                self.limit,
                self.limit - used
            ))
        } else {
            None
        }
    }
}

/// What one sync did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncReport {
    pub alerts: usize,
    /// Firings recorded for the first time.
    pub fired: Vec<BrokerAlertFiring>,
    /// ATO alerts the kill switch took from Kite at this sync, and what it could not take.
    pub stood_down: StandDown,
}

pub struct BrokerAlertDesk {
    alerts: Arc<dyn BrokerAlerts>,
    orders: Option<Arc<dyn BrokerOrderAlerts>>,
    store: Arc<dyn BrokerAlertStore>,
    catalog: Arc<InstrumentCatalog>,
    clock: Arc<dyn Clock>,
    /// Every basket is checked here before Kite is given it.
    gate: Arc<dyn PreTradeCheck>,
}

impl BrokerAlertDesk {
    pub fn new(
        alerts: Arc<dyn BrokerAlerts>,
        orders: Option<Arc<dyn BrokerOrderAlerts>>,
        store: Arc<dyn BrokerAlertStore>,
        catalog: Arc<InstrumentCatalog>,
        clock: Arc<dyn Clock>,
        gate: Arc<dyn PreTradeCheck>,
    ) -> Self {
        Self {
            alerts,
            orders,
            store,
            catalog,
            clock,
            gate,
        }
    }

    pub fn orders_allowed(&self) -> bool {
        self.orders.is_some()
    }

    pub async fn board(&self) -> Result<BrokerAlertBoard, BrokerAlertError> {
        Ok(BrokerAlertBoard {
            mirror: self.store.mirror().await.map_err(BrokerAlertError::Store)?,
            limit: BROKER_ALERT_LIMIT,
            warn_at: BROKER_ALERT_WARN_AT,
            orders_allowed: self.orders_allowed(),
            suspended: self.store.suspended().await?,
        })
    }

    fn parse(&self, draft: &BrokerAlertDraft) -> Result<BrokerAlertRequest, BrokerAlertError> {
        draft
            .parse(&self.catalog)
            .map_err(BrokerAlertError::Invalid)
    }

    fn order_alerts(&self) -> Result<&Arc<dyn BrokerOrderAlerts>, BrokerAlertError> {
        self.orders.as_ref().ok_or(BrokerAlertError::OrdersNotHere)
    }

    /// An ATO alert's basket through the risk gate, before Kite is asked anything.
    async fn gate_basket(&self, spec: &AtoSpec) -> Result<(), BrokerAlertError> {
        let orders: Vec<OrderRequest> = spec.basket.iter().map(AtoOrder::request).collect();
        self.gate
            .check_standing(&orders)
            .await
            .map_err(BrokerAlertError::RiskRefused)
    }

    pub async fn create(&self, draft: &BrokerAlertDraft) -> Result<BrokerAlert, BrokerAlertError> {
        let request = self.parse(draft)?;
        let used = self
            .store
            .mirror()
            .await
            .map_err(BrokerAlertError::Store)?
            .alerts
            .len();
        if used >= BROKER_ALERT_LIMIT {
            return Err(BrokerAlertError::LimitReached(used));
        }
        let alert = match &request {
            BrokerAlertRequest::Simple(spec) => self.alerts.create(spec).await?,
            BrokerAlertRequest::Ato(spec) => {
                let orders = self.order_alerts()?;
                self.gate_basket(spec).await?;
                orders.create_ato(spec).await?
            }
        };
        self.store
            .put(&alert, self.clock.now_ms())
            .await
            .map_err(BrokerAlertError::Store)?;
        Ok(alert)
    }

    pub async fn modify(
        &self,
        id: &str,
        draft: &BrokerAlertDraft,
    ) -> Result<BrokerAlert, BrokerAlertError> {
        let request = self.parse(draft)?;
        let current = self.find(id).await?;
        if current.kind != request.kind() {
            return Err(BrokerAlertError::Invalid(vec![FieldProblem {
                field: "kind".into(),
                message: format!(
                    "this is a {} alert and Kite does not change an alert's type: \
                     delete it and make a new one",
                    current.kind.label()
                ),
            }]));
        }
        let alert = match &request {
            BrokerAlertRequest::Simple(spec) => self.alerts.modify(id, spec).await?,
            BrokerAlertRequest::Ato(spec) => {
                let orders = self.order_alerts()?;
                self.gate_basket(spec).await?;
                orders.modify_ato(id, spec).await?
            }
        };
        self.store
            .put(&alert, self.clock.now_ms())
            .await
            .map_err(BrokerAlertError::Store)?;
        Ok(alert)
    }

    pub async fn delete(&self, id: &str) -> Result<(), BrokerAlertError> {
        self.find(id).await?;
        self.alerts.delete(id).await?;
        self.store.remove(id).await.map_err(BrokerAlertError::Store)
    }

    /// The broker's history of one alert, read from the broker now.
    pub async fn history(
        &self,
        id: &str,
    ) -> Result<Vec<BrokerAlertHistoryEntry>, BrokerAlertError> {
        self.find(id).await?;
        Ok(self.alerts.history(id).await?)
    }

    async fn find(&self, id: &str) -> Result<BrokerAlert, BrokerAlertError> {
        self.store
            .mirror()
            .await
            .map_err(BrokerAlertError::Store)?
            .alerts
            .into_iter()
            .find(|a| a.id == id)
            .ok_or(BrokerAlertError::NotFound)
    }

    /// Reads the broker's list, records what fired since the last sync, and replaces the
    /// mirror. An alert seen for the first time starts from its count (what fired before
    /// this app knew of it is in the broker's history, not announced again).
    pub async fn sync(&self) -> Result<SyncReport, String> {
        let started_ms = self.clock.now_ms();
        let listed = match self.alerts.list().await {
            Ok(listed) => listed,
            Err(e) => {
                let message = BrokerAlertError::from(e).to_string();
                self.store.sync_failed(&message, started_ms).await?;
                return Err(message);
            }
        };
        let known = self.store.mirror().await?.alerts;
        let mut firings = Vec::new();
        for alert in &listed {
            let Some(before) = known.iter().find(|k| k.id == alert.id) else {
                continue;
            };
            if alert.fired_count <= before.fired_count {
                continue;
            }
            let new = (alert.fired_count - before.fired_count).min(MAX_FIRINGS_PER_SYNC);
            let first_seq = alert.fired_count - new + 1;
            // The broker's words for each new firing; if its history cannot be read now, the
            // firing is still told, without them.
            let history = self.alerts.history(&alert.id).await.unwrap_or_default();
            let recent = &history[history.len().saturating_sub(new as usize)..];
            // When the history holds fewer entries than the count rose by, the earliest go
            // without words.
            let missing = new as usize - recent.len();
            for n in 0..new {
                let seq = first_seq + n;
                let entry = (n as usize)
                    .checked_sub(missing)
                    .and_then(|i| recent.get(i));
                firings.push(BrokerAlertFiring {
                    alert_id: alert.id.clone(),
                    seq,
                    name: alert.name.clone(),
                    text: firing_text(alert, entry),
                    recorded_ms: self.clock.now_ms(),
                });
            }
        }
        // What fired is told first; then, while the kill switch is on, the ATO alerts leave.
        let (listed, stood_down) = self.hold_to_the_switch(listed).await?;
        let fired = self.store.replace(&listed, &firings, started_ms).await?;
        Ok(SyncReport {
            alerts: listed.len(),
            fired,
            stood_down,
        })
    }
}

fn firing_text(alert: &BrokerAlert, entry: Option<&BrokerAlertHistoryEntry>) -> String {
    let orders = if alert.kind == BrokerAlertKind::Ato {
        " — its orders were sent to Kite"
    } else {
        ""
    };
    match entry {
        Some(entry) => {
            let quotes = if entry.quotes.is_empty() {
                String::new()
            } else {
                format!(" at {}", entry.quotes.join(", "))
            };
            let at = entry
                .at
                .as_deref()
                .map(|at| format!(" ({at} IST)"))
                .unwrap_or_default();
            format!(
                "Kite alert \"{}\": {}{quotes}{at}{orders}",
                alert.name, alert.condition
            )
        }
        None => format!(
            "Kite alert \"{}\": {} fired{orders}",
            alert.name, alert.condition
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board(used: usize) -> BrokerAlertBoard {
        let alert = BrokerAlert {
            id: String::new(),
            name: String::new(),
            kind: BrokerAlertKind::Simple,
            enabled: true,
            disabled_reason: String::new(),
            fired_count: 0,
            condition: String::new(),
            basket: Vec::new(),
            spec: None,
            orders: None,
            updated_at: None,
        };
        BrokerAlertBoard {
            mirror: BrokerAlertMirror {
                alerts: vec![alert; used],
                synced_ms: None,
                error: None,
            },
            limit: BROKER_ALERT_LIMIT,
            warn_at: BROKER_ALERT_WARN_AT,
            orders_allowed: true,
            suspended: Vec::new(),
        }
    }

    #[test]
    fn the_limit_is_warned_of_before_it_is_hit() {
        assert_eq!(board(179).limit_warning(), None);
        assert_eq!(
            board(180).limit_warning().as_deref(),
            Some("180 of Kite's 200 alerts in use: 20 left before Kite refuses new ones.")
        );
        assert!(
            board(200)
                .limit_warning()
                .unwrap()
                .starts_with("Kite's limit reached: 200 of 200")
        );
    }
}
