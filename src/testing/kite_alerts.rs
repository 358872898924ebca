//! Alerts kept at the broker, in memory: the broker's side (simple and ATO alerts, with a count
//! of the calls that reached it) and the app's mirror of them.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;

use crate::model::{
    AtoSpec, BrokerAlert, BrokerAlertFiring, BrokerAlertHistoryEntry, BrokerAlertKind,
    BrokerAlertMirror, BrokerAlertSpec, SuspendedBrokerAlert,
};
use crate::ports::{
    BrokerAlertStore, BrokerAlerts, BrokerError, BrokerErrorKind, BrokerOrderAlerts, StoreError,
};

/// The broker's alerts (Kite's Alerts API) in memory.
#[derive(Default)]
pub struct MemoryBrokerAlerts {
    alerts: Mutex<Vec<BrokerAlert>>,
    calls: AtomicUsize,
    /// Ids given so far: a new alert's id is never one given before (as Kite's uuids).
    made: AtomicUsize,
    /// While set, every call fails as if Kite could not be reached.
    down: std::sync::atomic::AtomicBool,
}

impl MemoryBrokerAlerts {
    /// How many creates and modifications reached the broker.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// From now on every call fails as if Kite could not be reached (`false`: it answers).
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    fn reachable(&self) -> Result<(), BrokerError> {
        if self.down.load(Ordering::SeqCst) {
            Err(BrokerError {
                kind: BrokerErrorKind::Unavailable,
                message: "connection refused".into(),
            })
        } else {
            Ok(())
        }
    }

    /// The alert Kite holds as if it had been made at Kite itself (not through this app).
    pub fn made_at_kite(&self, alert: BrokerAlert) {
        self.held().push(alert);
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Vec<BrokerAlert>> {
        self.alerts.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn store(
        &self,
        id: Option<&str>,
        spec: &BrokerAlertSpec,
        ato: Option<&AtoSpec>,
    ) -> BrokerAlert {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let mut held = self.held();
        let id = id.map_or_else(
            || format!("alert-{}", self.made.fetch_add(1, Ordering::SeqCst) + 1),
            str::to_owned,
        );
        let alert = BrokerAlert {
            id: id.clone(),
            name: spec.name.clone(),
            kind: if ato.is_some() {
                BrokerAlertKind::Ato
            } else {
                BrokerAlertKind::Simple
            },
            enabled: true,
            disabled_reason: String::new(),
            fired_count: 0,
            condition: spec.condition_text(),
            basket: ato.map_or_else(Vec::new, |a| a.basket.iter().map(|o| o.summary()).collect()),
            spec: Some(spec.clone()),
            orders: ato.map(|a| a.basket.clone()),
            updated_at: None,
        };
        held.retain(|a| a.id != id);
        held.push(alert.clone());
        alert
    }

    fn exists(&self, id: &str) -> Result<(), BrokerError> {
        self.reachable()?;
        if self.held().iter().any(|a| a.id == id) {
            Ok(())
        } else {
            Err(BrokerError {
                kind: BrokerErrorKind::Rejected,
                message: "no such alert".into(),
            })
        }
    }
}

#[async_trait]
impl BrokerAlerts for MemoryBrokerAlerts {
    async fn list(&self) -> Result<Vec<BrokerAlert>, BrokerError> {
        self.reachable()?;
        Ok(self.held().clone())
    }

    async fn create(&self, spec: &BrokerAlertSpec) -> Result<BrokerAlert, BrokerError> {
        self.reachable()?;
        Ok(self.store(None, spec, None))
    }

    async fn modify(&self, id: &str, spec: &BrokerAlertSpec) -> Result<BrokerAlert, BrokerError> {
        self.exists(id)?;
        Ok(self.store(Some(id), spec, None))
    }

    async fn delete(&self, id: &str) -> Result<(), BrokerError> {
        self.exists(id)?;
        self.held().retain(|a| a.id != id);
        Ok(())
    }

    async fn history(&self, id: &str) -> Result<Vec<BrokerAlertHistoryEntry>, BrokerError> {
        self.exists(id)?;
        Ok(Vec::new())
    }
}

#[async_trait]
impl BrokerOrderAlerts for MemoryBrokerAlerts {
    async fn create_ato(&self, spec: &AtoSpec) -> Result<BrokerAlert, BrokerError> {
        self.reachable()?;
        Ok(self.store(None, &spec.alert, Some(spec)))
    }

    async fn modify_ato(&self, id: &str, spec: &AtoSpec) -> Result<BrokerAlert, BrokerError> {
        self.exists(id)?;
        Ok(self.store(Some(id), &spec.alert, Some(spec)))
    }
}

/// The app's mirror of the broker's alerts, in memory.
#[derive(Default)]
pub struct MemoryAlertMirror {
    mirror: Mutex<BrokerAlertMirror>,
    firings: Mutex<Vec<BrokerAlertFiring>>,
    suspended: Mutex<Vec<SuspendedBrokerAlert>>,
}

impl MemoryAlertMirror {
    fn mirror(&self) -> std::sync::MutexGuard<'_, BrokerAlertMirror> {
        self.mirror.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Vec<SuspendedBrokerAlert>> {
        self.suspended.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl BrokerAlertStore for MemoryAlertMirror {
    async fn mirror(&self) -> Result<BrokerAlertMirror, StoreError> {
        Ok(self.mirror().clone())
    }

    async fn put(&self, alert: &BrokerAlert, _now_ms: i64) -> Result<(), StoreError> {
        let mut mirror = self.mirror();
        let count = mirror
            .alerts
            .iter()
            .find(|a| a.id == alert.id)
            .map(|a| a.fired_count);
        mirror.alerts.retain(|a| a.id != alert.id);
        mirror.alerts.push(BrokerAlert {
            fired_count: count.unwrap_or(alert.fired_count),
            ..alert.clone()
        });
        Ok(())
    }

    async fn remove(&self, id: &str) -> Result<(), StoreError> {
        self.mirror().alerts.retain(|a| a.id != id);
        Ok(())
    }

    async fn replace(
        &self,
        alerts: &[BrokerAlert],
        firings: &[BrokerAlertFiring],
        now_ms: i64,
    ) -> Result<Vec<BrokerAlertFiring>, StoreError> {
        {
            let mut mirror = self.mirror();
            mirror.alerts = alerts.to_vec();
            mirror.synced_ms = Some(now_ms);
            mirror.error = None;
        }
        let mut seen = self.firings.lock().unwrap_or_else(|p| p.into_inner());
        let mut new = Vec::new();
        for firing in firings {
            if !seen
                .iter()
                .any(|f| f.alert_id == firing.alert_id && f.seq == firing.seq)
            {
                seen.push(firing.clone());
                new.push(firing.clone());
            }
        }
        Ok(new)
    }

    async fn sync_failed(&self, error: &str, _now_ms: i64) -> Result<(), StoreError> {
        self.mirror().error = Some(error.to_owned());
        Ok(())
    }

    async fn firings(&self, limit: u32) -> Result<Vec<BrokerAlertFiring>, StoreError> {
        let seen = self.firings.lock().unwrap_or_else(|p| p.into_inner());
        Ok(seen.iter().rev().take(limit as usize).cloned().collect())
    }

    async fn suspend(&self, alert: &BrokerAlert, now_ms: i64) -> Result<(), StoreError> {
        let mut kept = self.kept();
        if !kept.iter().any(|k| k.alert.id == alert.id) {
            kept.push(SuspendedBrokerAlert {
                alert: alert.clone(),
                suspended_ms: now_ms,
            });
        }
        Ok(())
    }

    async fn suspended(&self) -> Result<Vec<SuspendedBrokerAlert>, StoreError> {
        Ok(self.kept().clone())
    }

    async fn unsuspend(&self, id: &str) -> Result<bool, StoreError> {
        let mut kept = self.kept();
        let before = kept.len();
        kept.retain(|k| k.alert.id != id);
        Ok(kept.len() < before)
    }
}
