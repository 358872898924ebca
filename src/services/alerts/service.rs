//! `AlertService`: alerts made, edited, enabled and deleted through the `AlertStore`, the
//! monitor kept in step with what is stored, the feed following every instrument a watched
//! alert reads, and each tick's firings recorded (the history) before anyone is told.

use crate::model::FieldProblem;
use crate::services::service_error::ServiceError;
use std::sync::{Arc, Mutex, MutexGuard};

use super::draft::{AlertDraft, ParsedAlert};
use super::monitor::{AlertMonitor, Fired};
use crate::model::{
    Alert, AlertEvent, AlertId, AlertState, AlertTarget, FeedMode, InstrumentToken, StateChange,
    Tick,
};
use crate::ports::{AlertStore, ChangeNotifier, Clock, MarketData, StoreError};
use crate::services::announcer::Announcer;
use crate::services::instruments::InstrumentCatalog;
use crate::services::prices::FeedSubscriptions;

/// The feed owner that keeps the alerts' instruments subscribed.
pub const ALERTS_FEED_OWNER: &str = "alerts";
/// How many firings one history read returns at most.
pub const MAX_HISTORY: u32 = 500;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AlertError {
    #[error("the alert has problems")]
    Invalid(Vec<FieldProblem>),
    #[error("no such alert (it may have been deleted)")]
    NotFound,
    #[error("{0}")]
    Unavailable(String),
    /// A store port failed (conflict, not found, unavailable), its kind kept.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How the outside is told of it.
impl From<AlertError> for ServiceError {
    fn from(e: AlertError) -> Self {
        match e {
            AlertError::Invalid(problems) => ServiceError::Invalid(problems),
            AlertError::NotFound => {
                ServiceError::NotFound("that alert (reload the page)".to_owned())
            }
            unavailable @ AlertError::Unavailable(_) => ServiceError::fault(unavailable),
            AlertError::Store(e) => ServiceError::Store(e),
        }
    }
}

pub struct AlertService {
    store: Arc<dyn AlertStore>,
    /// The latest prices, where an alert being armed starts from.
    market: Arc<dyn MarketData>,
    catalog: Arc<InstrumentCatalog>,
    subscriptions: Arc<FeedSubscriptions>,
    clock: Arc<dyn Clock>,
    monitor: Mutex<AlertMonitor>,
    /// Told of every write, for the process that watches alerts apart from this one.
    changes: Announcer,
}

impl AlertService {
    pub fn new(
        store: Arc<dyn AlertStore>,
        market: Arc<dyn MarketData>,
        catalog: Arc<InstrumentCatalog>,
        subscriptions: Arc<FeedSubscriptions>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            market,
            catalog,
            subscriptions,
            clock,
            monitor: Mutex::new(AlertMonitor::default()),
            changes: Announcer::default(),
        }
    }

    /// Every stored change is announced to `changes` (the workers run in another process).
    pub fn with_changes(mut self, changes: Arc<dyn ChangeNotifier>) -> Self {
        self.changes = Announcer::to(changes);
        self
    }

    fn announce(&self) {
        self.changes.tell(StateChange::Alerts);
    }

    fn monitor(&self) -> MutexGuard<'_, AlertMonitor> {
        self.monitor.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads every alert from the store and watches the armed ones (start-up, and a worker
    /// taking over). The number watched.
    pub async fn load(&self) -> Result<usize, String> {
        let alerts = self.store.list().await?;
        let watched = {
            let mut monitor = self.monitor();
            *monitor = AlertMonitor::default();
            for alert in alerts {
                let known = self.market.latest(&alert.condition.tokens());
                monitor.upsert(alert, &known);
            }
            monitor.len()
        };
        self.follow()?;
        Ok(watched)
    }

    /// The feed follows exactly the instruments the watched alerts read.
    fn follow(&self) -> Result<(), String> {
        let mut tokens = self.monitor().tokens();
        tokens.sort_unstable();
        self.subscriptions
            .set(ALERTS_FEED_OWNER, tokens, FeedMode::Quote)
            .map_err(|e| e.to_string())
    }

    /// Watches `alert` as stored now; a feed that cannot take its instrument is said.
    fn watch(&self, alert: &Alert) -> Result<(), AlertError> {
        let known = self.market.latest(&alert.condition.tokens());
        self.monitor().upsert(alert.clone(), &known);
        self.follow().map_err(AlertError::Unavailable)
    }

    fn parse(&self, draft: &AlertDraft) -> Result<ParsedAlert, AlertError> {
        let instrument = self.catalog.get(InstrumentToken(draft.token));
        let other = (draft.against != 0)
            .then(|| self.catalog.get(InstrumentToken(draft.against)))
            .flatten();
        draft
            .parse(instrument.as_ref(), other.as_ref())
            .map_err(AlertError::Invalid)
    }

    pub async fn list(&self) -> Result<Vec<Alert>, AlertError> {
        self.store.list().await.map_err(AlertError::Store)
    }

    pub async fn create(&self, draft: &AlertDraft, by: &str) -> Result<Alert, AlertError> {
        let parsed = self.parse(draft)?;
        let now = self.clock.now_ms();
        let alert = Alert {
            id: AlertId(0),
            condition: parsed.condition,
            repeat: parsed.repeat,
            window: parsed.window,
            note: parsed.note,
            enabled: parsed.enabled,
            state: AlertState::Armed,
            last_fired_ms: None,
            fired_count: 0,
            created_ms: now,
            updated_ms: now,
            created_by: by.to_owned(),
        };
        let stored = self
            .store
            .insert(&alert, now)
            .await
            .map_err(AlertError::Store)?;
        self.announce();
        self.watch(&stored)?;
        Ok(stored)
    }

    /// Replaces the alert's definition; it watches anew (armed, where the value stands forgotten).
    pub async fn update(&self, id: AlertId, draft: &AlertDraft) -> Result<Alert, AlertError> {
        let parsed = self.parse(draft)?;
        let before = self
            .store
            .get(id)
            .await
            .map_err(AlertError::Store)?
            .ok_or(AlertError::NotFound)?;
        let now = self.clock.now_ms();
        let next = Alert {
            condition: parsed.condition,
            repeat: parsed.repeat,
            window: parsed.window,
            note: parsed.note,
            enabled: parsed.enabled,
            state: AlertState::Armed,
            updated_ms: now,
            ..before
        };
        let stored = self
            .store
            .update(&next, now)
            .await
            .map_err(AlertError::Store)?
            .ok_or(AlertError::NotFound)?;
        self.announce();
        self.watch(&stored)?;
        Ok(stored)
    }

    pub async fn set_enabled(&self, id: AlertId, enabled: bool) -> Result<Alert, AlertError> {
        let stored = self
            .store
            .set_enabled(id, enabled, self.clock.now_ms())
            .await
            .map_err(AlertError::Store)?
            .ok_or(AlertError::NotFound)?;
        self.announce();
        self.watch(&stored)?;
        Ok(stored)
    }

    pub async fn delete(&self, id: AlertId) -> Result<(), AlertError> {
        if !self
            .store
            .delete(id, self.clock.now_ms())
            .await
            .map_err(AlertError::Store)?
        {
            return Err(AlertError::NotFound);
        }
        self.announce();
        self.monitor().remove(id);
        self.follow().map_err(AlertError::Unavailable)
    }

    /// Firings, newest first: of one alert, or of all.
    pub async fn history(
        &self,
        alert: Option<AlertId>,
        limit: u32,
    ) -> Result<Vec<AlertEvent>, AlertError> {
        self.store
            .history(alert, limit.clamp(1, MAX_HISTORY))
            .await
            .map_err(AlertError::Store)
    }

    /// How many alerts the monitor watches now.
    pub fn watched(&self) -> usize {
        self.monitor().len()
    }

    /// One batch of ticks: every firing is recorded in the history (the notification reads it
    /// from there), and returned. A firing the store refuses (the alert was edited, disabled
    /// or deleted a moment ago) is dropped.
    pub async fn process_ticks(&self, ticks: &[Tick]) -> AlertReport {
        let now = self.clock.now_ms();
        let fired: Vec<Fired> = {
            let mut monitor = self.monitor();
            ticks
                .iter()
                .flat_map(|tick| monitor.on_tick(tick, now))
                .collect()
        };
        let mut report = AlertReport::default();
        if fired.is_empty() {
            return report;
        }
        for f in fired {
            let alert = match self.store.get(f.alert).await {
                Ok(Some(alert)) => alert,
                Ok(None) => continue,
                Err(e) => {
                    report.errors.push(format!("alert {}: {e}", f.alert.0));
                    continue;
                }
            };
            let event = AlertEvent {
                id: 0,
                alert: f.alert,
                at_ms: f.at_ms,
                value: f.value,
                target_value: f.target_value,
                last_price: f.last_price,
                text: fired_text(&alert, &f),
            };
            match self.store.record_fired(&event, f.done).await {
                Ok(Some(stored)) => report.fired.push(stored),
                Ok(None) => {}
                Err(e) => report.errors.push(format!(
                    "alert {} fired but was not recorded: {e}",
                    f.alert.0
                )),
            }
        }
        if !report.fired.is_empty() {
            // One-shot alerts that fired left the monitor: the feed may drop their instruments.
            if let Err(e) = self.follow() {
                report.errors.push(e);
            }
        }
        report
    }
}

/// What a tick batch did to the alerts.
#[derive(Debug, Default)]
pub struct AlertReport {
    pub fired: Vec<AlertEvent>,
    pub errors: Vec<String>,
}

/// `INFY LTP crosses above ₹1,500.00: LTP ₹1,500.05` (and the note).
fn fired_text(alert: &Alert, fired: &Fired) -> String {
    let c = &alert.condition;
    let mut text = format!(
        "{}: {} {}",
        c.describe(),
        c.metric.label(),
        c.metric.format(fired.value)
    );
    if let AlertTarget::Instrument { tradingsymbol, .. } = &c.target {
        text.push_str(&format!(
            " against {tradingsymbol} {}",
            c.metric.format(fired.target_value)
        ));
    }
    if !alert.note.is_empty() {
        text.push_str(" — ");
        text.push_str(&alert.note);
    }
    text
}
