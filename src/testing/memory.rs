//! The stores in memory: order intents, trades, levels and the risk settings in one
//! `MemoryStore` (as the database holds them in one place, so a trigger and its order, or an
//! exit order and its trade's move to `exiting`, are one write), each write compare-and-set as
//! the database's. And a market with no ticks yet.

mod levels;

use std::sync::Mutex;

use async_trait::async_trait;

use crate::model::{
    InstrumentToken, IntentState, KillSwitch, Mismatch, OrderIntent, OrderTag, RiskLimits, Tick,
    Trade, TradeId, TradeState,
};
use crate::ports::{IntentStore, MarketData, RiskStore, StoreError, TradeStore};

#[derive(Default)]
struct Tables {
    intents: Vec<OrderIntent>,
    trades: Vec<Trade>,
    limits: Option<RiskLimits>,
    kill_switch: Option<KillSwitch>,
    mismatches: Vec<Mismatch>,
    levels: levels::LevelTable,
}

/// What the database keeps of the trading core, in memory.
#[derive(Default)]
pub struct MemoryStore {
    tables: Mutex<Tables>,
}

impl MemoryStore {
    fn tables(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every intent, oldest first (for a test's assertions).
    pub fn intents(&self) -> Vec<OrderIntent> {
        self.tables().intents.clone()
    }
}

impl Tables {
    fn insert_intent(&mut self, intent: &OrderIntent) -> Option<i64> {
        if self
            .intents
            .iter()
            .any(|i| i.request.tag == intent.request.tag)
        {
            return None;
        }
        let id = self.intents.len() as i64 + 1;
        let mut stored = intent.clone();
        stored.id = id;
        self.intents.push(stored);
        Some(id)
    }
}

#[async_trait]
impl IntentStore for MemoryStore {
    async fn insert(&self, intent: &OrderIntent) -> Result<Option<i64>, StoreError> {
        Ok(self.tables().insert_intent(intent))
    }

    async fn update(&self, next: &OrderIntent, from: &OrderIntent) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        let Some(stored) = tables.intents.iter_mut().find(|i| i.id == from.id) else {
            return Err(StoreError::not_found(format!("order record {}", from.id)));
        };
        if stored.state != from.state || stored.filled_quantity != from.filled_quantity {
            return Ok(false);
        }
        stored.state = next.state;
        stored.broker_order_id = next.broker_order_id.clone();
        stored.filled_quantity = next.filled_quantity;
        stored.average_price = next.average_price;
        stored.reason = next.reason.clone();
        stored.request = next.request.clone();
        stored.updated_ms = next.updated_ms;
        Ok(true)
    }

    async fn pending(&self) -> Result<Vec<OrderIntent>, StoreError> {
        Ok(self
            .intents()
            .into_iter()
            .filter(|i| i.state == IntentState::Pending)
            .collect())
    }

    async fn open(&self) -> Result<Vec<OrderIntent>, StoreError> {
        Ok(self
            .intents()
            .into_iter()
            .filter(|i| matches!(i.state, IntentState::Placed | IntentState::PartiallyFilled))
            .collect())
    }

    async fn by_tag(&self, tag: &OrderTag) -> Result<Option<OrderIntent>, StoreError> {
        Ok(self.intents().into_iter().find(|i| &i.request.tag == tag))
    }

    async fn by_id(&self, id: i64) -> Result<Option<OrderIntent>, StoreError> {
        Ok(self.intents().into_iter().find(|i| i.id == id))
    }

    async fn recent(&self, limit: u32) -> Result<Vec<OrderIntent>, StoreError> {
        Ok(self
            .intents()
            .into_iter()
            .rev()
            .take(limit as usize)
            .collect())
    }

    async fn entries_since(&self, since_ms: i64) -> Result<Vec<i64>, StoreError> {
        Ok(self
            .intents()
            .iter()
            .filter(|i| i.is_entry() && i.created_ms >= since_ms)
            .map(|i| i.id)
            .collect())
    }
}

impl MemoryStore {
    /// Records `order` and writes `trade` with `link` naming the new order, in one step, only
    /// if the stored trade still has `trade.version` (`begin_exit`, `begin_protection`).
    fn record_with_trade(
        &self,
        trade: &Trade,
        order: &mut OrderIntent,
        link: impl FnOnce(&mut Trade, i64),
    ) -> Result<Option<Trade>, StoreError> {
        let mut tables = self.tables();
        let current = tables
            .trades
            .iter()
            .find(|t| t.id == trade.id)
            .map(|t| t.version);
        if current != Some(trade.version) {
            return Ok(None);
        }
        let Some(id) = tables.insert_intent(order) else {
            return Err(StoreError::conflict(format!(
                "order tag {}",
                order.request.tag.as_str()
            )));
        };
        order.id = id;
        let stored = tables
            .trades
            .iter_mut()
            .find(|t| t.id == trade.id)
            .ok_or_else(|| StoreError::not_found("the trade"))?;
        let mut next = Trade {
            version: trade.version + 1,
            ..trade.clone()
        };
        link(&mut next, id);
        *stored = next;
        Ok(Some(stored.clone()))
    }
}

#[async_trait]
impl TradeStore for MemoryStore {
    async fn insert(&self, trade: &Trade) -> Result<Option<Trade>, StoreError> {
        let mut tables = self.tables();
        if trade.entry_intent != 0
            && tables
                .trades
                .iter()
                .any(|t| t.entry_intent == trade.entry_intent)
        {
            return Ok(None);
        }
        let mut stored = trade.clone();
        stored.id = TradeId(tables.trades.len() as i64 + 1);
        stored.version = 1;
        tables.trades.push(stored.clone());
        Ok(Some(stored))
    }

    async fn update(&self, trade: &Trade) -> Result<Option<Trade>, StoreError> {
        let mut tables = self.tables();
        let Some(stored) = tables.trades.iter_mut().find(|t| t.id == trade.id) else {
            return Ok(None);
        };
        if stored.version != trade.version {
            return Ok(None);
        }
        *stored = Trade {
            version: trade.version + 1,
            ..trade.clone()
        };
        Ok(Some(stored.clone()))
    }

    async fn begin_exit(
        &self,
        trade: &Trade,
        exit: &mut OrderIntent,
    ) -> Result<Option<Trade>, StoreError> {
        self.record_with_trade(trade, exit, |t, id| t.exit_intent = Some(id))
    }

    async fn begin_protection(
        &self,
        trade: &Trade,
        order: &mut OrderIntent,
    ) -> Result<Option<Trade>, StoreError> {
        if trade.state != TradeState::Open {
            return Err(StoreError::unreadable(
                "the trade",
                format!("trade {} is not open: nothing to protect", trade.id.0),
            ));
        }
        self.record_with_trade(trade, order, |t, id| t.protective = Some(id))
    }

    async fn trade(&self, id: TradeId) -> Result<Option<Trade>, StoreError> {
        Ok(self.tables().trades.iter().find(|t| t.id == id).cloned())
    }

    async fn by_entry(&self, entry_intent: i64) -> Result<Option<Trade>, StoreError> {
        Ok(self
            .tables()
            .trades
            .iter()
            .find(|t| t.entry_intent == entry_intent)
            .cloned())
    }

    async fn active(&self) -> Result<Vec<Trade>, StoreError> {
        Ok(self
            .tables()
            .trades
            .iter()
            .filter(|t| t.state != TradeState::Closed)
            .cloned()
            .collect())
    }

    async fn recent(&self, limit: u32) -> Result<Vec<Trade>, StoreError> {
        Ok(self
            .tables()
            .trades
            .iter()
            .rev()
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn closed_since(&self, since_ms: i64) -> Result<Vec<Trade>, StoreError> {
        Ok(self
            .tables()
            .trades
            .iter()
            .filter(|t| t.closed_ms.is_some_and(|c| c >= since_ms))
            .cloned()
            .collect())
    }

    async fn unapplied(&self, since_ms: i64) -> Result<Vec<OrderIntent>, StoreError> {
        let tables = self.tables();
        Ok(tables
            .intents
            .iter()
            .filter(|i| i.updated_ms >= since_ms)
            .filter(|i| {
                let unapplied_fill = i.is_entry()
                    && i.filled_quantity > 0
                    && !tables
                        .trades
                        .iter()
                        .any(|t| t.entry_intent == i.id && t.entry_filled >= i.filled_quantity);
                let ended_exit = i.state.is_final()
                    && tables
                        .trades
                        .iter()
                        .any(|t| t.exit_intent == Some(i.id) && t.state == TradeState::Exiting);
                unapplied_fill || ended_exit
            })
            .cloned()
            .collect())
    }
}

#[async_trait]
impl RiskStore for MemoryStore {
    async fn limits(&self) -> Result<Option<RiskLimits>, StoreError> {
        Ok(self.tables().limits)
    }

    async fn set_limits(&self, limits: &RiskLimits, _now_ms: i64) -> Result<(), StoreError> {
        self.tables().limits = Some(*limits);
        Ok(())
    }

    async fn kill_switch(&self) -> Result<Option<KillSwitch>, StoreError> {
        Ok(self.tables().kill_switch.clone())
    }

    async fn set_kill_switch(
        &self,
        state: Option<&KillSwitch>,
        _now_ms: i64,
    ) -> Result<(), StoreError> {
        self.tables().kill_switch = state.cloned();
        Ok(())
    }

    async fn mismatches(&self) -> Result<Vec<Mismatch>, StoreError> {
        Ok(self.tables().mismatches.clone())
    }

    async fn set_mismatches(
        &self,
        mismatches: &[Mismatch],
        _now_ms: i64,
    ) -> Result<(), StoreError> {
        self.tables().mismatches = mismatches.to_vec();
        Ok(())
    }
}

/// A market with no ticks yet (a limit that needs the last price refuses, as it should).
#[derive(Default)]
pub struct NoTicks;

impl MarketData for NoTicks {
    fn latest(&self, _tokens: &[InstrumentToken]) -> Vec<Tick> {
        Vec::new()
    }

    fn last_update_ms(&self) -> Option<i64> {
        None
    }
}

/// A market feed that takes every subscription and sends nothing (the scenarios hand the
/// engine its ticks themselves).
#[derive(Default)]
pub struct QuietFeed;

impl crate::ports::MarketFeed for QuietFeed {
    fn apply(&self, _change: crate::model::FeedChange) {}

    fn capacity(&self) -> usize {
        3_000
    }
}
