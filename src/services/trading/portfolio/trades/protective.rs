//! The trade monitor's stop orders at the broker (the rules: `portfolio/protection.rs`). Each
//! open trade with a stop keeps one: placed once its entry fills (recorded with the trade in one
//! transaction, then sent through the executor like any order), resized as more fills come,
//! moved as the trailing stop tightens (within the modification budget), and put back at the
//! minutely housekeeping when the broker dropped it. Before the app exits a trade itself, the
//! standing order is cancelled and the cancel confirmed from the broker's book — or the order is
//! found filled, and there is nothing left to exit.

use crate::model::{
    ExitReason, IntentState, OrderIntent, OrderRequest, Trade, TradeId, TradeState,
};

use super::super::protection::{
    Change, PROTECT_RETRY_MS, move_allowed, needs_change, on_protective_update, protective_order,
    protective_reason, trigger_of,
};
use super::super::trade_rules::{closable_units, effective_stop};
use super::{TradeError, TradeReport, TradeService, lock};

/// What withdrawing a trade's standing stop order left.
pub(super) enum Withdrawn {
    /// Cancelled (or gone): the trade, open, with nothing standing at the broker.
    Open(Trade),
    /// It had filled: the trade is closed (or holds the rest), nothing to exit for it.
    Filled(Trade),
}

impl TradeService {
    fn is_option(&self, trade: &Trade) -> bool {
        self.catalog
            .get(trade.token)
            .is_some_and(|i| matches!(i.instrument_type.as_str(), "CE" | "PE"))
    }

    /// Places, resizes or moves `trade`'s stop order at the broker as its rules ask. Cheap
    /// when nothing changed (no IO): called for every trade whose best price moved.
    pub(super) async fn protect(&self, report: &mut TradeReport, trade: &Trade) {
        let option = self.is_option(trade);
        let Some(wanted) = protective_order(trade, self.tick_size(trade.token), option) else {
            return;
        };
        match trade.protective {
            None => self.place_protection(report, trade, wanted).await,
            Some(id) => self.amend_protection(report, trade, id, wanted).await,
        }
    }

    async fn place_protection(
        &self,
        report: &mut TradeReport,
        trade: &Trade,
        wanted: OrderRequest,
    ) {
        let now = self.clock.now_ms();
        if lock(&self.exiting).contains(&trade.id)
            || lock(&self.exits_waiting).contains_key(&trade.id)
            || lock(&self.protect_after)
                .get(&trade.id)
                .is_some_and(|t| now < *t)
        {
            return;
        }
        // Never a stop order for more than the broker holds of the trade (a stop for units sold
        // outside the app would open an opposite position): the reconciliation settles the
        // trade first, at the next tick.
        if let Some(held) = self.executor.holding(&wanted).await {
            let expected = match self.expected_net(trade, held.any_product).await {
                Ok(expected) => expected,
                Err(e) => {
                    report.errors.push(e.to_string());
                    return;
                }
            };
            if closable_units(trade, wanted.quantity, expected, held.net) < wanted.quantity {
                self.reconcile_soon();
                return;
            }
        }
        let mut order = self.executor.prepare(trade.level, wanted);
        order.closes = Some(trade.id);
        let next = Trade {
            updated_ms: now,
            ..trade.clone()
        };
        let stored = match self.store.begin_protection(&next, &mut order).await {
            Ok(Some(stored)) => stored,
            // Changed meanwhile (a fill, an exit): looked at again with its next change.
            Ok(None) => return,
            Err(e) => {
                report.errors.push(format!(
                    "the stop order of trade {} could not be recorded: {e}",
                    trade.id.0
                ));
                return;
            }
        };
        self.remember(report, &stored);
        lock(&self.standing).insert(trade.id, order.request.clone());
        report.notes.push(format!(
            "trade {} protected at the broker: stop order #{} {:?} {} at trigger {}",
            trade.id.0,
            order.id,
            order.request.side,
            order.request.quantity,
            trigger_of(order.request.kind).unwrap_or_default()
        ));
        match self.executor.send(&order).await {
            Ok(sent) if sent.state != IntentState::Pending => {
                self.apply_standing(report, &sent).await
            }
            Ok(_) => {}
            // Stays pending: reconciliation finds it by tag or sends it once.
            Err(e) => report.errors.push(format!(
                "stop order #{} of trade {}: {e}",
                order.id, trade.id.0
            )),
        }
    }

    async fn amend_protection(
        &self,
        report: &mut TradeReport,
        trade: &Trade,
        id: i64,
        wanted: OrderRequest,
    ) {
        let now = self.clock.now_ms();
        let known = lock(&self.standing).get(&trade.id).cloned();
        if let Some(known) = &known {
            // No IO while nothing changed or the budget holds a move back.
            match needs_change(known, &wanted) {
                None => return,
                Some(Change::Trigger) if !self.move_allowed(id, now) => return,
                Some(_) => {}
            }
        }
        let intent = match self.executor.intent(id).await {
            Ok(Some(intent)) => intent,
            Ok(None) => return,
            Err(e) => {
                report.errors.push(e.to_string());
                return;
            }
        };
        if intent.state.is_final() {
            // Its end was not applied yet (a crash, a missed update): it is now.
            self.apply_standing(report, &intent).await;
            return;
        }
        let Some(change) = needs_change(&intent.request, &wanted) else {
            lock(&self.standing).insert(trade.id, intent.request.clone());
            return;
        };
        // Still being sent, or its trigger moved too often this minute: a later tick sends the
        // newest price.
        if intent.broker_order_id.is_none()
            || (change == Change::Trigger && !self.move_allowed(id, now))
        {
            return;
        }
        lock(&self.moves).entry(id).or_default().push(now);
        match self.executor.amend(&intent, &wanted).await {
            Ok(amended) => {
                lock(&self.standing).insert(trade.id, amended.request.clone());
                report.notes.push(format!(
                    "trade {}'s stop order #{} now {} at trigger {}",
                    trade.id.0,
                    id,
                    amended.request.quantity,
                    trigger_of(amended.request.kind).unwrap_or_default()
                ));
            }
            Err(e) => report.errors.push(format!(
                "trade {}'s stop order #{id} could not be changed: {e}",
                trade.id.0
            )),
        }
    }

    /// A standing order's news, applied to its trade.
    async fn apply_standing(&self, report: &mut TradeReport, intent: &OrderIntent) {
        let Some(trade) = intent.closes else {
            return;
        };
        if let Err(e) = self.apply_exit(report, trade, intent).await {
            report.errors.push(e);
        }
    }

    fn move_allowed(&self, id: i64, now: i64) -> bool {
        move_allowed(
            lock(&self.moves).get(&id).map_or(&[][..], |v| v.as_slice()),
            now,
        )
    }

    /// The standing order's news (`intent`, whose trade is `trade`): a fill closes the trade
    /// at the broker's price, an end without one leaves it unprotected at the broker until the
    /// next housekeeping places another. `Ok(None)`: nothing to do.
    pub(super) async fn apply_protective(
        &self,
        report: &mut TradeReport,
        trade: &Trade,
        intent: &OrderIntent,
    ) -> Result<Option<Trade>, String> {
        let stop_reason = effective_stop(trade, self.tick_size(trade.token))
            .map_or(ExitReason::StopLoss, |(_, r)| r);
        let reason = protective_reason(
            trade,
            intent.request.kind,
            intent.average_price,
            stop_reason,
        );
        let withdrawn = lock(&self.withdrawing).contains(&intent.id);
        let now = self.clock.now_ms();
        let Some(next) = on_protective_update(trade, intent, reason, withdrawn, now) else {
            return Ok(None);
        };
        let Some(stored) = self.store.update(&next).await? else {
            return Err(format!(
                "trade {} changed while its stop order's news was recorded",
                trade.id.0
            ));
        };
        lock(&self.standing).remove(&trade.id);
        lock(&self.withdrawing).remove(&intent.id);
        lock(&self.moves).remove(&intent.id);
        if stored.state == TradeState::Closed {
            report.notes.push(format!(
                "trade {} closed by its stop order at the broker ({}) at {}: {}",
                stored.id.0,
                reason.label(),
                stored.exit_price.unwrap_or_default(),
                stored.realised
            ));
        } else if !withdrawn {
            lock(&self.protect_after).insert(trade.id, now + PROTECT_RETRY_MS);
            if let Some(problem) = &stored.problem {
                report.notes.push(problem.clone());
            }
        }
        self.remember(report, &stored);
        Ok(Some(stored))
    }

    /// Takes the trade's standing order back before the app exits it: cancelled, and the cancel
    /// confirmed from the broker's book. Found filled, the trade closed by it and nothing is left
    /// to exit. Not final yet (the broker still cancelling, the order still being sent): the
    /// exit waits for a later step. `why` goes on the order's record.
    pub(super) async fn withdraw(
        &self,
        report: &mut TradeReport,
        trade: &Trade,
        id: i64,
        why: &str,
    ) -> Result<Withdrawn, TradeError> {
        let busy = |why: &str| {
            TradeError::Busy(format!(
                "trade {}'s exit waits: its stop order at the broker {why}; the exit goes by \
                 itself once the broker confirms the cancel",
                trade.id.0
            ))
        };
        let Some(mut intent) = self
            .executor
            .intent(id)
            .await
            .map_err(|e| TradeError::Failed(e.to_string()))?
        else {
            return Err(TradeError::Failed(format!(
                "trade {} names stop order #{id}, which is not recorded",
                trade.id.0
            )));
        };
        if intent.state == IntentState::Pending {
            return Err(busy("is still being sent"));
        }
        if !intent.state.is_final() {
            lock(&self.withdrawing).insert(id);
            // Refused or not (it may have just filled), the book says how it stands.
            let _ = self.executor.cancel(&intent, why).await;
            intent = self
                .executor
                .refresh(&intent)
                .await
                .map_err(|e| busy(&format!("could not be read back ({e})")))?;
            if !intent.state.is_final() {
                return Err(busy("is still being cancelled"));
            }
        }
        for _ in 0..5 {
            let current = self
                .store
                .trade(trade.id)
                .await?
                .ok_or(TradeError::NotFound(trade.id.0))?;
            if current.protective != Some(id) {
                // Applied meanwhile by the order update.
                self.remember(report, &current);
                return Ok(if current.state == TradeState::Open {
                    Withdrawn::Open(current)
                } else {
                    Withdrawn::Filled(current)
                });
            }
            match self.apply_protective(report, &current, &intent).await {
                // Cancelled, perhaps after part of it filled: the rest is the app's to exit.
                Ok(Some(stored)) if stored.state == TradeState::Open => {
                    return Ok(Withdrawn::Open(stored));
                }
                Ok(Some(stored)) => return Ok(Withdrawn::Filled(stored)),
                Ok(None) => return Err(busy("has not ended")),
                Err(_) => continue,
            }
        }
        Err(TradeError::Failed(format!(
            "trade {} kept changing while its stop order was taken back",
            trade.id.0
        )))
    }

    /// Standing orders whose end a crash (or a missed update) left unapplied to their trade.
    pub(super) async fn catch_up_protection(&self, report: &mut TradeReport) {
        let standing: Vec<(TradeId, i64)> = lock(&self.active)
            .values()
            .filter_map(|t| t.protective.map(|p| (t.id, p)))
            .collect();
        for (_, id) in standing {
            match self.executor.intent(id).await {
                Ok(Some(intent)) if intent.state.is_final() => {
                    self.apply_standing(report, &intent).await
                }
                Ok(_) => {}
                Err(e) => report.errors.push(e.to_string()),
            }
        }
    }

    /// Every open trade has its stop order at the broker (the minutely repair: one the broker
    /// dropped or refused is placed again after `PROTECT_RETRY_MS`).
    pub(super) async fn protect_all(&self, report: &mut TradeReport) {
        let open: Vec<Trade> = lock(&self.active)
            .values()
            .filter(|t| t.state == TradeState::Open)
            .cloned()
            .collect();
        for trade in open {
            self.protect(report, &trade).await;
        }
    }
}
