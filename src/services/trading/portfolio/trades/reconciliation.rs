//! The trades held against the broker's positions: after an order of the account's that this
//! app did not place fills (the trader's, in Kite's own app; Kite's square-off), and at every
//! housekeeping, each open trade is compared with what the broker holds of its instrument and
//! product. What the broker no longer holds was closed outside the app: the trade's stop order
//! there is taken back first (left standing, it would open an opposite position when it
//! triggers), then the trade is reduced or closed at the broker's price, with nothing sent.

use crate::model::{BrokerPosition, ProductKind, Trade, TradeState};
use crate::services::trading::execution::executor::Holding;

use super::super::trade_rules::{closable_units, exit_order};
use super::protective::Withdrawn;
use super::{TradeError, TradeReport, TradeService, expected_net_in, lock};

impl TradeService {
    /// Asks for a reconciliation at the next tick: one could not finish now (a stop order
    /// still being sent), or a stop order was held back for units the broker may not hold.
    pub(super) fn reconcile_soon(&self) {
        self.reconcile_due
            .store(true, std::sync::atomic::Ordering::Release);
    }

    /// Whether a reconciliation was asked for since the last one (and clears the ask).
    pub(super) fn reconcile_asked(&self) -> bool {
        self.reconcile_due
            .swap(false, std::sync::atomic::Ordering::AcqRel)
    }

    /// Compares every open trade with the broker's positions now (see the module), read once
    /// for all of them: a read per trade spent Kite's 10 a second budget for everything else
    /// (shared with the margin check and the read before each exit) once a few dozen trades
    /// were open.
    pub async fn reconcile_positions(&self) -> TradeReport {
        let mut report = TradeReport::default();
        let open: Vec<Trade> = lock(&self.active)
            .values()
            .filter(|t| t.state == TradeState::Open)
            .cloned()
            .collect();
        if open.is_empty() {
            return report;
        }
        let delivery = open
            .iter()
            .filter_map(exit_order)
            .any(|r| r.product == ProductKind::Delivery);
        let Some(positions) = self.executor.positions_for(delivery).await else {
            return report;
        };
        // The stored trades, read once for the pass like the positions: a read per open trade
        // made the minutely pass read N² trades (5,800 rows with 76 open). A trade that looks
        // closed outside the app is read again, fresh, before anything is done about it.
        let stored = match self.store.active().await {
            Ok(stored) => stored,
            Err(e) => {
                report.errors.push(format!(
                    "the open trades could not be compared with the broker's positions: {e}"
                ));
                return report;
            }
        };
        for trade in open {
            if let Err(e) = self
                .reconcile_one(&mut report, &trade, &positions, &stored)
                .await
            {
                match e {
                    TradeError::Busy(_) | TradeError::NotHeld(_) => self.reconcile_soon(),
                    e => report.errors.push(e.to_string()),
                }
            }
        }
        report
    }

    async fn reconcile_one(
        &self,
        report: &mut TradeReport,
        trade: &Trade,
        positions: &[BrokerPosition],
        stored: &[Trade],
    ) -> Result<(), TradeError> {
        let Some(request) = exit_order(trade) else {
            return Ok(());
        };
        let held = Holding::of(positions, &request);
        let expected = expected_net_in(stored, trade, held.any_product);
        let kept = closable_units(trade, trade.quantity, expected, held.net);
        if kept >= trade.quantity {
            return Ok(());
        }
        let trade = match trade.protective {
            Some(id) => match self
                .withdraw(
                    report,
                    trade,
                    id,
                    &format!(
                        "taken back by the app: units of trade {} were closed outside the app",
                        trade.id.0
                    ),
                )
                .await?
            {
                Withdrawn::Open(trade) => trade,
                // Its own stop order sold it: nothing happened outside.
                Withdrawn::Filled(_) => return Ok(()),
            },
            None => trade.clone(),
        };
        // The withdrawal may have changed what is held (a partial fill of the stop order).
        let Some(held) = self.executor.holding(&request).await else {
            return Ok(());
        };
        let expected = self.expected_net(&trade, held.any_product).await?;
        let kept = closable_units(&trade, trade.quantity, expected, held.net);
        if kept >= trade.quantity {
            return Ok(());
        }
        let at = if trade.is_long() {
            held.sold_average
        } else {
            held.bought_average
        };
        let reduced = self
            .close_outside(report, &trade, trade.quantity - kept, at)
            .await?;
        // What is left is protected again at its new size.
        self.protect(report, &reduced).await;
        Ok(())
    }
}
