//! `Activity`: what just happened that a trader must not miss — a level triggered, an order
//! filled or was rejected, a trade closed, an alert fired (here or at Kite) — since a moment,
//! newest last, for the toasts; and the newest of it, for the notification centre.
//! A read model over the level log, the order book, the trades and the alerts' firings; it
//! stores nothing.

mod notifications;

pub use notifications::{CENTRE_SIZE, NotificationCentre, NotificationCentreView};

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::model::{ExitReason, IntentState, LevelLogKind, OrderSide, TradeState};
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
                items.push(ActivityItem {
                    at_ms: closed,
                    kind: ActivityKind::TradeClosed,
                    text: format!(
                        "Trade #{} {} closed ({}): {}",
                        trade.id.0,
                        trade.tradingsymbol,
                        trade.exit_reason.map(ExitReason::label).unwrap_or("exit"),
                        trade.realised.format_inr()
                    ),
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
