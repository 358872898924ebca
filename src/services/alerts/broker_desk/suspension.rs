//! The kill switch and Kite's ATO alerts. Kite has no way to pause an alert, so engaging the
//! switch deletes each ATO alert this app can make again at Kite and keeps it here as it was
//! (`suspend`, before the delete: a crash between the two leaves it kept and still at Kite,
//! and the next sync while halted deletes it). While the switch is on, every sync does the same
//! to any ATO alert Kite lists (one made at Kite meanwhile, or one whose delete failed). After
//! the release nothing comes back by itself: putting one back is the trader's act, through the
//! gate like a new one; letting one go forgets it.

use async_trait::async_trait;

use super::{BrokerAlertDesk, BrokerAlertError};
use crate::model::{BrokerAlert, BrokerAlertKind, FieldProblem, SuspendedBrokerAlert};
use crate::services::trading::{StandDown, StandingOrders};

/// Whether the kill switch takes `alert` out of Kite's hands: an ATO alert this app can make
/// again as it was.
fn suspendable(alert: &BrokerAlert) -> bool {
    alert.kind == BrokerAlertKind::Ato && alert.spec.is_some() && alert.orders.is_some()
}

impl BrokerAlertDesk {
    /// Deletes each of `listed`'s ATO alerts at Kite, kept here first; returns what was done
    /// and the ids Kite no longer has. `listed` is Kite's list as just read.
    pub(super) async fn suspend_listed(&self, listed: &[BrokerAlert]) -> (StandDown, Vec<String>) {
        let mut done = StandDown::default();
        let mut deleted = Vec::new();
        // A disabled one (fired already: Kite disables an ATO alert once it has placed its
        // basket) places nothing, and stays as it is.
        for alert in listed
            .iter()
            .filter(|a| a.kind == BrokerAlertKind::Ato && a.enabled)
        {
            if !suspendable(alert) {
                done.problems.push(format!(
                    "Kite ATO alert \"{}\" was made outside this app with a condition or orders \
                     it cannot make again, so it was left at Kite and still places its orders \
                     if it fires: delete it at Kite",
                    alert.name
                ));
                continue;
            }
            let now = self.clock.now_ms();
            if let Err(e) = self.store.suspend(alert, now).await {
                done.problems.push(format!(
                    "Kite ATO alert \"{}\" is still at Kite: it could not be kept here first \
                     ({e}); delete it at Kite",
                    alert.name
                ));
                continue;
            }
            if let Err(e) = self.alerts.delete(&alert.id).await {
                done.problems.push(format!(
                    "Kite ATO alert \"{}\" is still at Kite ({}): it is tried again at the next \
                     sync while the kill switch is on, or delete it at Kite",
                    alert.name,
                    BrokerAlertError::from(e)
                ));
                continue;
            }
            done.suspended += 1;
            deleted.push(alert.id.clone());
            // Kite no longer has it: if the mirror cannot forget it now, the next sync does.
            self.store.remove(&alert.id).await.ok();
        }
        (done, deleted)
    }

    /// The ATO alerts the kill switch took, oldest first.
    pub async fn suspended(&self) -> Result<Vec<SuspendedBrokerAlert>, BrokerAlertError> {
        Ok(self.store.suspended().await?)
    }

    /// Makes suspended alert `id` again at Kite, as it was: through the risk gate like a new
    /// one (refused while the kill switch is on) and within Kite's limit. Its new id is
    /// Kite's; its count starts again.
    pub async fn put_back(&self, id: &str) -> Result<BrokerAlert, BrokerAlertError> {
        let kept = self
            .store
            .suspended()
            .await?
            .into_iter()
            .find(|s| s.alert.id == id)
            .ok_or(BrokerAlertError::NotSuspended)?;
        let Some(spec) = kept.ato_spec() else {
            return Err(BrokerAlertError::Invalid(vec![FieldProblem::new(
                "alert",
                "this alert cannot be made again here: let it go and make it anew",
            )]));
        };
        let orders = self.order_alerts()?;
        let mirror = self.store.mirror().await?;
        // Put back already (the answer was lost before it was forgotten here): not twice.
        if let Some(made) = mirror.alerts.iter().find(|a| {
            a.kind == BrokerAlertKind::Ato
                && a.spec.as_ref() == Some(&spec.alert)
                && a.orders.as_ref() == Some(&spec.basket)
        }) {
            self.store.unsuspend(id).await?;
            return Ok(made.clone());
        }
        if mirror.alerts.len() >= crate::model::BROKER_ALERT_LIMIT {
            return Err(BrokerAlertError::LimitReached(mirror.alerts.len()));
        }
        self.gate_basket(&spec).await?;
        let alert = orders.create_ato(&spec).await?;
        self.store.put(&alert, self.clock.now_ms()).await?;
        self.store.unsuspend(id).await?;
        Ok(alert)
    }

    /// Forgets suspended alert `id` without making it again.
    pub async fn let_go(&self, id: &str) -> Result<(), BrokerAlertError> {
        if self.store.unsuspend(id).await? {
            Ok(())
        } else {
            Err(BrokerAlertError::NotSuspended)
        }
    }

    /// At a sync, with Kite's list just read: while the kill switch is on, the ATO alerts
    /// listed leave Kite (and the list); once it is off, an alert kept here that Kite still
    /// lists was never deleted there, and is kept no more. Returns the list to mirror and what
    /// the kill switch took.
    pub(super) async fn hold_to_the_switch(
        &self,
        mut listed: Vec<BrokerAlert>,
    ) -> Result<(Vec<BrokerAlert>, StandDown), String> {
        if self.orders.is_some() && self.gate.halted().await? {
            let (done, deleted) = self.suspend_listed(&listed).await;
            // Those whose delete failed are still at Kite: listed, to be seen.
            listed.retain(|a| !deleted.contains(&a.id));
            return Ok((listed, done));
        }
        for kept in self.store.suspended().await? {
            if listed.iter().any(|a| a.id == kept.alert.id) {
                self.store.unsuspend(&kept.alert.id).await?;
            }
        }
        Ok((listed, StandDown::default()))
    }
}

#[async_trait]
impl StandingOrders for BrokerAlertDesk {
    /// Reads Kite's list now (the mirror may be old) and takes each ATO alert out of its hands.
    async fn stand_down(&self) -> StandDown {
        if self.orders.is_none() {
            // This venue never sends an order to Kite, so it makes no ATO alert there.
            return StandDown::default();
        }
        match self.alerts.list().await {
            Ok(listed) => self.suspend_listed(&listed).await.0,
            Err(e) => StandDown {
                suspended: 0,
                problems: vec![format!(
                    "Kite's alerts could not be read ({}): ATO alerts there may still place \
                     orders; each sync tries again while the kill switch is on, or delete them \
                     at Kite",
                    BrokerAlertError::from(e)
                )],
            },
        }
    }
}
