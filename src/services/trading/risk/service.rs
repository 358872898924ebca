//! `RiskService`: the account's risk limits (read, and edited from a form whose every wrong
//! field is named) and the kill switch — engaging it stores it first (so it holds across a
//! restart), stops every level from triggering and every entry from going out, cancels the open
//! entry orders and, if asked, squares off every open trade, then takes what the broker holds to
//! place later (ATO alerts) out of its hands; releasing it lets trading resume.

use crate::model::FieldProblem;
use crate::services::service_error::ServiceError;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::model::{ExitReason, KillSwitch, Price, RiskLimits, StateChange};
use crate::ports::{ChangeNotifier, Clock, RiskStore, StoreError};

use super::gate::RiskState;
use super::standing::StandingOrders;
use crate::services::announcer::Announcer;
use crate::services::trading::execution::executor::OrderExecutor;
use crate::services::trading::portfolio::trades::TradeService;

#[derive(Debug, thiserror::Error)]
pub enum RiskError {
    #[error("{}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldProblem>),
    #[error("{0}")]
    Unavailable(String),
    /// A store port failed (conflict, not found, unavailable), its kind kept.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How the outside is told of it.
impl From<RiskError> for ServiceError {
    fn from(e: RiskError) -> Self {
        match e {
            RiskError::Invalid(problems) => ServiceError::Invalid(problems),
            unavailable @ RiskError::Unavailable(_) => ServiceError::fault(unavailable),
            RiskError::Store(e) => ServiceError::Store(e),
        }
    }
}

/// The limits form as typed: each field empty (no limit) or a number.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskLimitsDraft {
    pub max_order_quantity: String,
    pub max_order_value: String,
    pub max_open_positions: String,
    pub max_orders_per_day: String,
    pub max_daily_loss: String,
    /// A percentage of the last price, like `5` or `2.5%`.
    pub price_band: String,
}

fn count(field: &'static str, text: &str, problems: &mut Vec<FieldProblem>) -> Option<u32> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match text.replace([',', '_'], "").parse::<u32>() {
        Ok(n) if n > 0 => Some(n),
        _ => {
            problems.push(FieldProblem {
                field: field.into(),
                message: format!(
                    "'{text}' is not a whole number of at least 1; leave it empty for no limit"
                ),
            });
            None
        }
    }
}

fn rupees(field: &'static str, text: &str, problems: &mut Vec<FieldProblem>) -> Option<Price> {
    let text = text.trim().trim_start_matches('₹').trim();
    if text.is_empty() {
        return None;
    }
    match Price::parse(text) {
        Ok(p) if p > Price::ZERO => Some(p),
        Ok(_) => {
            problems.push(FieldProblem {
                field: field.into(),
                message: "an amount above zero, or empty for no limit".to_owned(),
            });
            None
        }
        Err(e) => {
            problems.push(FieldProblem {
                field: field.into(),
                message: format!("'{text}' is not an amount: {e}"),
            });
            None
        }
    }
}

fn band(text: &str, problems: &mut Vec<FieldProblem>) -> Option<u32> {
    let text = text.trim().trim_end_matches('%').trim();
    if text.is_empty() {
        return None;
    }
    let parsed = Price::parse(text).ok().and_then(|p| {
        // Hundredths of a percent at most: 2.5 % is 250 basis points.
        let bp = p.raw() * 100 / Price::SCALE;
        (p.raw() * 100 % Price::SCALE == 0 && bp > 0 && bp <= 10_000).then_some(bp as u32)
    });
    if parsed.is_none() {
        problems.push(FieldProblem {
            field: "price_band".into(),
            message: format!(
                "'{text}' is not a percentage between 0.01 and 100 (like 5 or 2.5%); leave it \
                 empty for no band"
            ),
        });
    }
    parsed
}

impl RiskLimitsDraft {
    /// Every wrong field at once, or the limits.
    pub fn parse(&self) -> Result<RiskLimits, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let limits = RiskLimits {
            max_order_quantity: count(
                "max_order_quantity",
                &self.max_order_quantity,
                &mut problems,
            ),
            max_order_value: rupees("max_order_value", &self.max_order_value, &mut problems),
            max_open_positions: count(
                "max_open_positions",
                &self.max_open_positions,
                &mut problems,
            ),
            max_orders_per_day: count(
                "max_orders_per_day",
                &self.max_orders_per_day,
                &mut problems,
            ),
            max_daily_loss: rupees("max_daily_loss", &self.max_daily_loss, &mut problems),
            price_band_bp: band(&self.price_band, &mut problems),
        };
        if problems.is_empty() {
            Ok(limits)
        } else {
            Err(problems)
        }
    }

    /// The form showing `limits`.
    pub fn from_limits(limits: &RiskLimits) -> Self {
        let text = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_default();
        let money = |v: Option<Price>| v.map(|p| p.to_string()).unwrap_or_default();
        Self {
            max_order_quantity: text(limits.max_order_quantity),
            max_order_value: money(limits.max_order_value),
            max_open_positions: text(limits.max_open_positions),
            max_orders_per_day: text(limits.max_orders_per_day),
            max_daily_loss: money(limits.max_daily_loss),
            price_band: limits
                .price_band_bp
                .map(|bp| {
                    if bp.is_multiple_of(100) {
                        (bp / 100).to_string()
                    } else {
                        format!("{}.{:02}", bp / 100, bp % 100)
                    }
                })
                .unwrap_or_default(),
        }
    }
}

/// What engaging the kill switch did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KillSwitchReport {
    pub state: Option<KillSwitch>,
    pub cancelled_orders: u32,
    pub exits_sent: u32,
    /// Orders the broker held to place on its own (ATO alerts) taken out of its hands.
    #[serde(default)]
    pub alerts_suspended: u32,
    /// What could not be done (an order the broker would not cancel, an exit refused).
    pub problems: Vec<String>,
    /// Positions the broker holds outside the app's trades: the switch never exits them by
    /// itself (they are not the app's); the panel offers an Exit on each.
    #[serde(default)]
    pub outside: Vec<crate::services::trading::AccountPosition>,
}

pub struct RiskService {
    pub(super) store: Arc<dyn RiskStore>,
    pub(super) state: Arc<RiskState>,
    executor: Arc<OrderExecutor>,
    pub(super) trades: Arc<TradeService>,
    pub(super) clock: Arc<dyn Clock>,
    /// Told of every write, for the process whose gate checks orders apart from this one.
    changes: Announcer,
    /// What the broker holds to place on its own: taken back when the switch is engaged.
    standing: Option<Arc<dyn StandingOrders>>,
}

impl RiskService {
    /// The stored limits (the defaults if never set) and kill switch, for start-up: built before
    /// the executor, which asks the gate over this state.
    pub async fn load_state(store: &dyn RiskStore) -> Result<RiskState, String> {
        let limits = store.limits().await?.unwrap_or_default();
        let kill_switch = store.kill_switch().await?;
        let state = RiskState::new(limits, kill_switch);
        state.set_mismatches(store.mismatches().await?);
        Ok(state)
    }

    pub fn new(
        store: Arc<dyn RiskStore>,
        state: Arc<RiskState>,
        executor: Arc<OrderExecutor>,
        trades: Arc<TradeService>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            state,
            executor,
            trades,
            clock,
            changes: Announcer::default(),
            standing: None,
        }
    }

    /// Engaging the kill switch takes `standing` out of the broker's hands too (a venue that
    /// sends orders to the broker; paper mode has none at the broker).
    pub fn with_standing_orders(mut self, standing: Arc<dyn StandingOrders>) -> Self {
        self.standing = Some(standing);
        self
    }

    /// Every stored change is announced to `changes` (the workers run in another process).
    pub fn with_changes(mut self, changes: Arc<dyn ChangeNotifier>) -> Self {
        self.changes = Announcer::to(changes);
        self
    }

    pub(super) fn announce(&self) {
        self.changes.tell(StateChange::Risk);
    }

    /// Reads the stored limits and kill switch again (a worker taking over from another
    /// process, which may have changed them).
    pub async fn reload(&self) -> Result<(), RiskError> {
        let fresh = Self::load_state(self.store.as_ref())
            .await
            .map_err(RiskError::Unavailable)?;
        self.state.set_limits(fresh.limits());
        self.state.set_kill_switch(fresh.kill_switch());
        self.state.set_mismatches(fresh.mismatches());
        Ok(())
    }

    pub fn limits(&self) -> RiskLimits {
        self.state.limits()
    }

    pub fn kill_switch(&self) -> Option<KillSwitch> {
        self.state.kill_switch()
    }

    /// Stores the form's limits; they apply to the next order. Nothing changes when a field is
    /// wrong.
    pub async fn set_limits(&self, draft: &RiskLimitsDraft) -> Result<RiskLimits, RiskError> {
        let limits = draft.parse().map_err(RiskError::Invalid)?;
        self.store
            .set_limits(&limits, self.clock.now_ms())
            .await
            .map_err(RiskError::Store)?;
        self.state.set_limits(limits);
        self.announce();
        Ok(limits)
    }

    /// Engages the kill switch (again, if it is on: the cancels, the square-off and the
    /// stand-down of the orders the broker holds for later run again).
    pub async fn engage(&self, square_off: bool) -> Result<KillSwitchReport, RiskError> {
        let now = self.clock.now_ms();
        let switch = KillSwitch {
            engaged_ms: self.state.kill_switch().map_or(now, |k| k.engaged_ms),
            squared_off: square_off || self.state.kill_switch().is_some_and(|k| k.squared_off),
        };
        // Stored before anything else: a crash from here on restarts halted.
        self.store
            .set_kill_switch(Some(&switch), now)
            .await
            .map_err(RiskError::Store)?;
        self.state.set_kill_switch(Some(switch.clone()));
        // Told before the cancels: the gate in the workers' process halts at once.
        self.announce();
        let mut report = KillSwitchReport {
            state: Some(switch),
            ..KillSwitchReport::default()
        };
        match self.executor.cancel_open_entries().await {
            Ok((cancelled, problems)) => {
                report.cancelled_orders = cancelled;
                report.problems.extend(problems);
            }
            Err(e) => report.problems.push(e.to_string()),
        }
        if square_off {
            let (sent, problems) = self.trades.exit_all(ExitReason::KillSwitch).await;
            report.exits_sent = sent;
            report.problems.extend(problems);
        }
        // After the exits (what is held now is the nearer risk): what the broker holds to
        // place later leaves its hands.
        if let Some(standing) = &self.standing {
            let taken = standing.stand_down().await;
            report.alerts_suspended = taken.suspended;
            report.problems.extend(taken.problems);
        }
        match self.trades.outside_positions().await {
            Ok(outside) => report.outside = outside,
            Err(e) => report.problems.push(format!(
                "the broker's positions could not be read to list what is held outside the \
                 app ({e}); see the Account page"
            )),
        }
        Ok(report)
    }

    pub async fn release(&self) -> Result<(), RiskError> {
        self.store
            .set_kill_switch(None, self.clock.now_ms())
            .await
            .map_err(RiskError::Store)?;
        self.state.set_kill_switch(None);
        self.announce();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limits_form_names_every_wrong_field_and_round_trips() {
        let draft = RiskLimitsDraft {
            max_order_quantity: "0".to_owned(),
            max_order_value: "abc".to_owned(),
            max_open_positions: "5".to_owned(),
            max_orders_per_day: "-3".to_owned(),
            max_daily_loss: "0".to_owned(),
            price_band: "150%".to_owned(),
        };
        let fields: Vec<String> = draft
            .parse()
            .unwrap_err()
            .iter()
            .map(|p| p.field.clone())
            .collect();
        assert_eq!(
            fields,
            [
                "max_order_quantity",
                "max_order_value",
                "max_orders_per_day",
                "max_daily_loss",
                "price_band"
            ]
        );
        let good = RiskLimitsDraft {
            max_order_quantity: "1,000".to_owned(),
            max_order_value: "₹2,50,000".to_owned(),
            max_open_positions: String::new(),
            max_orders_per_day: "50".to_owned(),
            max_daily_loss: "5000".to_owned(),
            price_band: "2.5%".to_owned(),
        };
        let limits = good.parse().unwrap();
        assert_eq!(limits.max_order_quantity, Some(1000));
        assert_eq!(limits.max_order_value, Price::from_rupees(250_000));
        assert_eq!(limits.max_open_positions, None, "empty is no limit");
        assert_eq!(limits.price_band_bp, Some(250));
        assert_eq!(
            RiskLimitsDraft::from_limits(&limits).parse().unwrap(),
            limits
        );
    }
}
