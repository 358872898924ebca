//! `PaperAccountDesk`: the paper account as the trader sees it — its capital, free funds and
//! result since the last reset — restored after a restart from the stored orders and trades,
//! and reset to a fresh start once nothing is open.

use crate::services::service_error::ServiceError;
use std::sync::Arc;

use crate::model::Price;
use crate::ports::{Clock, IntentStore, PaperStore, StoreError, TradeStore};

use super::paper_broker::{PaperAccount, PaperBroker};

#[derive(Debug, thiserror::Error)]
pub enum PaperError {
    /// Something is still open; the message says what to close first.
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// How the outside is told of it.
impl From<PaperError> for ServiceError {
    fn from(e: PaperError) -> Self {
        match e {
            PaperError::Refused(message) => ServiceError::Refused(message),
            PaperError::Store(e) => ServiceError::Store(e),
        }
    }
}

pub struct PaperAccountDesk {
    broker: Arc<PaperBroker>,
    intents: Arc<dyn IntentStore>,
    trades: Arc<dyn TradeStore>,
    store: Arc<dyn PaperStore>,
    clock: Arc<dyn Clock>,
}

impl PaperAccountDesk {
    pub fn new(
        broker: Arc<PaperBroker>,
        intents: Arc<dyn IntentStore>,
        trades: Arc<dyn TradeStore>,
        store: Arc<dyn PaperStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            broker,
            intents,
            trades,
            store,
            clock,
        }
    }

    pub fn account(&self) -> PaperAccount {
        self.broker.account()
    }

    /// After a restart: the resting orders and open positions go back into the paper broker,
    /// and the account's realised profit is the result of every trade closed since the last
    /// reset.
    pub async fn restore(&self) -> Result<(), PaperError> {
        let since = self
            .store
            .last_reset_ms()
            .await
            .map_err(PaperError::Store)?;
        let open = self.intents.open().await.map_err(PaperError::Store)?;
        let active = self.trades.active().await.map_err(PaperError::Store)?;
        let realised = self
            .trades
            .closed_since(since.unwrap_or(i64::MIN))
            .await
            .map_err(PaperError::Store)?
            .iter()
            .fold(Price::ZERO, |sum, t| {
                sum.checked_add(t.realised).unwrap_or(sum)
            });
        self.broker.restore(&open, &active, realised, since);
        Ok(())
    }

    /// Starts the account afresh: the full capital, no result, no positions. Refused while a
    /// trade is open or an order is still working (nothing is closed behind the trader's back);
    /// the trade book keeps the history.
    pub async fn reset(&self) -> Result<PaperAccount, PaperError> {
        let pending = self.intents.pending().await.map_err(PaperError::Store)?;
        let open = self.intents.open().await.map_err(PaperError::Store)?;
        let active = self.trades.active().await.map_err(PaperError::Store)?;
        let orders = pending.len() + open.len();
        if orders > 0 || !active.is_empty() {
            return Err(PaperError::Refused(format!(
                "{} trade(s) are open and {orders} order(s) still working; exit the trades on \
                 the Trades page and cancel the orders on the Orders page (or engage the kill \
                 switch with square-off), then reset",
                active.len()
            )));
        }
        let now = self.clock.now_ms();
        // The broker checks again under its own lock, in case an order came in meanwhile.
        self.broker.reset(now).map_err(PaperError::Refused)?;
        self.store.record_reset(now).await.map_err(|e| {
            PaperError::Refused(format!(
                "the account was reset, but the reset could not be stored (a restart would \
                 bring the old result back); reset again: {e}"
            ))
        })?;
        Ok(self.broker.account())
    }
}
