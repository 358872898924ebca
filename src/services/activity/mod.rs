//! `Activity`: what just happened that a trader must not miss — a level triggered, an order
//! filled or was rejected, a trade closed, an alert fired (here or at Kite) — since a moment,
//! newest last, for the toasts; and the newest of it, for the notification centre.
//! A read model over the level log, the order book, the trades and the alerts' firings; it
//! stores nothing.

mod notifications;

pub use notifications::{CENTRE_SIZE, NotificationCentre, NotificationCentreView};

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::model::{
    ExitReason, IntentState, LevelLogKind, OrderKind, OrderSide, Trade, TradeState,
};
use crate::ports::{AlertStore, BrokerAlertStore, Clock, IntentStore, LevelStore, TradeStore};

/// How far back one read looks, at most (the newest entries of each source).
const LOOK_BACK: u32 = 50;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    LevelTriggered,
    OrderFilled,
    OrderRejected,
    TradeClosed,
    AlertFired,
    /// An alert kept at Kite fired (seen by the Kite alerts sync).
    KiteAlertFired,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityItem {
    pub at_ms: i64,
    pub kind: ActivityKind,
    pub text: String,
}

/// What happened after `since_ms`, and the moment to ask from next time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityFeed {
    /// Pass it as `since_ms` next time.
    pub next_since: i64,
    pub items: Vec<ActivityItem>,
}

pub struct Activity {
    alerts: Arc<dyn AlertStore>,
    kite_alerts: Arc<dyn BrokerAlertStore>,
    levels: Arc<dyn LevelStore>,
    intents: Arc<dyn IntentStore>,
    trades: Arc<dyn TradeStore>,
    clock: Arc<dyn Clock>,
}

fn side(s: OrderSide) -> &'static str {
    match s {
        OrderSide::Buy => "BUY",
        OrderSide::Sell => "SELL",
    }
}

/// The toast for a closed trade. Closed at its stop by a market order of the app's own (`exit`:
/// the kind of its exit order) means the stop order at the broker had not filled in time — an
/// SL whose limit the market ran past, a GTT's limit leg gapped through — and the trader is
/// told so.
pub fn trade_closed_text(trade: &Trade, exit: Option<OrderKind>) -> String {
    let reason = trade.exit_reason.map(ExitReason::label).unwrap_or("exit");
    let mut text = format!(
        "Trade #{} {} closed ({reason}): {}",
        trade.id.0,
        trade.tradingsymbol,
        trade.realised.format_inr()
    );
    if matches!(
        trade.exit_reason,
        Some(ExitReason::StopLoss | ExitReason::TrailingStop)
    ) && exit == Some(OrderKind::Market)
    {
        text.push_str(
            " — exited at market by the app: the stop order at the broker had not filled",
        );
    }
    text
}

impl Activity {
    pub fn new(
        alerts: Arc<dyn AlertStore>,
        kite_alerts: Arc<dyn BrokerAlertStore>,
        levels: Arc<dyn LevelStore>,
        intents: Arc<dyn IntentStore>,
        trades: Arc<dyn TradeStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            alerts,
            kite_alerts,
            levels,
            intents,
            trades,
            clock,
        }
    }

    /// Everything after `since_ms` (`None`: nothing, only the moment to start from).
    pub async fn since(&self, since_ms: Option<i64>) -> Result<ActivityFeed, String> {
        let Some(since) = since_ms else {
            return Ok(ActivityFeed {
                next_since: self.clock.now_ms(),
                items: Vec::new(),
            });
        };
        let items = self.after(since).await?;
        // The next read starts after the newest item shown (not at "now"): nothing is shown
        // twice, and an item stamped before this read but written after it is not lost.
        let next_since = items.last().map_or(since, |i| i.at_ms.max(since));
        Ok(ActivityFeed { next_since, items })
    }

    /// The newest `limit` items (at most 50), newest first: the notification centre.
    pub async fn recent(&self, limit: usize) -> Result<Vec<ActivityItem>, String> {
        let mut items = self.after(i64::MIN).await?;
        items.reverse();
        items.truncate(limit.min(LOOK_BACK as usize));
        Ok(items)
    }

    /// Every item after `since`, oldest first (each source read back at most `LOOK_BACK`).
    async fn after(&self, since: i64) -> Result<Vec<ActivityItem>, String> {
        let mut items = Vec::new();
        for entry in self.levels.log(None, LOOK_BACK).await? {
            if entry.at_ms > since && entry.kind == LevelLogKind::Triggered {
                items.push(ActivityItem {
                    at_ms: entry.at_ms,
                    kind: ActivityKind::LevelTriggered,
                    text: format!(
                        "Level #{} triggered at {} ({})",
                        entry.level.0,
                        entry.price.format_indian(),
                        entry.detail
                    ),
                });
            }
        }
        for order in self.intents.recent(LOOK_BACK).await? {
            if order.updated_ms <= since {
                continue;
            }
            let r = &order.request;
            match order.state {
                IntentState::Filled => items.push(ActivityItem {
                    at_ms: order.updated_ms,
                    kind: ActivityKind::OrderFilled,
                    text: format!(
                        "Filled: {} {} {} at {}",
                        side(r.side),
                        order.filled_quantity,
                        r.tradingsymbol,
                        order
                            .average_price
                            .map(|p| p.format_indian())
                            .unwrap_or_default()
                    ),
                }),
                IntentState::Rejected => items.push(ActivityItem {
                    at_ms: order.updated_ms,
                    kind: ActivityKind::OrderRejected,
                    text: format!(
                        "Rejected: {} {} {} — {}",
                        side(r.side),
                        r.quantity,
                        r.tradingsymbol,
                        order.reason.as_deref().unwrap_or("no reason given")
                    ),
                }),
                _ => {}
            }
        }
        for trade in self.trades.recent(LOOK_BACK).await? {
            if trade.state == TradeState::Closed
                && let Some(closed) = trade.closed_ms.filter(|c| *c > since)
            {
                // Only a stop's exit needs its order looked at.
                let exit = match (trade.exit_reason, trade.exit_intent) {
                    (Some(ExitReason::StopLoss | ExitReason::TrailingStop), Some(id)) => {
                        self.intents.by_id(id).await?.map(|i| i.request.kind)
                    }
                    _ => None,
                };
                items.push(ActivityItem {
                    at_ms: closed,
                    kind: ActivityKind::TradeClosed,
                    text: trade_closed_text(&trade, exit),
                });
            }
        }
        for event in self.alerts.history(None, LOOK_BACK).await? {
            if event.at_ms > since {
                items.push(ActivityItem {
                    at_ms: event.at_ms,
                    kind: ActivityKind::AlertFired,
                    text: format!("Alert #{}: {}", event.alert.0, event.text),
                });
            }
        }
        for firing in self.kite_alerts.firings(LOOK_BACK).await? {
            if firing.recorded_ms > since {
                items.push(ActivityItem {
                    at_ms: firing.recorded_ms,
                    kind: ActivityKind::KiteAlertFired,
                    text: firing.text,
                });
            }
        }
        items.sort_by_key(|i| i.at_ms);
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{GttLeg, Price};

    #[test]
    fn a_stop_the_app_exited_at_market_itself_says_the_brokers_order_had_not_filled() {
        let mut trade: Trade = serde_json::from_value(serde_json::json!({
            "id": 7, "version": 3, "level": null, "entry_intent": 1, "token": 408065,
            "exchange": "NSE", "tradingsymbol": "INFY", "product": "delivery", "side": "buy",
            "quantity": 0, "entry_filled": 3, "entry_price": "1500", "target_distance": null,
            "stop_distance": null, "target": null, "stop_loss": "1480", "trailing": null,
            "best_price": "1500", "state": "closed", "exit_reason": "stop_loss",
            "exit_intent": 9, "exit_price": "1470", "exited": 3, "realised": "-90",
            "problem": null, "opened_ms": 0, "updated_ms": 0, "closed_ms": 5,
        }))
        .unwrap();
        let told = trade_closed_text(&trade, Some(OrderKind::Market));
        assert!(
            told.starts_with("Trade #7 INFY closed (stop-loss): "),
            "{told}"
        );
        assert!(
            told.contains("the stop order at the broker had not filled"),
            "{told}"
        );
        // Closed by the broker's own stop order (here its GTT), or at the target: nothing more.
        let gtt = OrderKind::Gtt {
            stop: GttLeg {
                trigger: Price::parse("1480").unwrap(),
                price: Price::parse("1450.40").unwrap(),
            },
            target: None,
        };
        assert!(!trade_closed_text(&trade, Some(gtt)).contains("had not filled"));
        trade.exit_reason = Some(ExitReason::Target);
        assert!(!trade_closed_text(&trade, Some(OrderKind::Market)).contains("had not filled"));
    }
}
