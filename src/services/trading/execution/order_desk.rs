//! `OrderDesk`: the trader's own orders — a manual ticket placed through the same executor
//! (recorded first, exactly once, through the risk gate; its fill opens a trade like any
//! other), and modifying or cancelling an open order.

use crate::model::FieldProblem;
use crate::services::service_error::ServiceError;
use std::sync::Arc;

use crate::model::OrderIntent;
use crate::ports::{IntentStore, StoreError};
use crate::services::instruments::InstrumentCatalog;

use super::executor::{ExecError, OrderExecutor};
use super::order_ticket::{OrderChange, OrderTicket};

#[derive(Debug, thiserror::Error)]
pub enum OrderDeskError {
    #[error("{}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldProblem>),
    #[error("there is no order {0}")]
    NotFound(i64),
    /// The broker or the rules refused it; the message says why.
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Unavailable(String),
    /// A store port failed (conflict, not found, unavailable), its kind kept.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How the outside is told of it.
impl From<OrderDeskError> for ServiceError {
    fn from(e: OrderDeskError) -> Self {
        match e {
            OrderDeskError::Invalid(problems) => ServiceError::Invalid(problems),
            OrderDeskError::NotFound(_) => {
                ServiceError::NotFound("that order (reload the page)".to_owned())
            }
            OrderDeskError::Refused(message) => ServiceError::Refused(message),
            unavailable @ OrderDeskError::Unavailable(_) => ServiceError::fault(unavailable),
            OrderDeskError::Store(e) => ServiceError::Store(e),
        }
    }
}

pub struct OrderDesk {
    executor: Arc<OrderExecutor>,
    intents: Arc<dyn IntentStore>,
    catalog: Arc<InstrumentCatalog>,
}

impl OrderDesk {
    pub fn new(
        executor: Arc<OrderExecutor>,
        intents: Arc<dyn IntentStore>,
        catalog: Arc<InstrumentCatalog>,
    ) -> Self {
        Self {
            executor,
            intents,
            catalog,
        }
    }

    /// Places the ticket's order. A refusal by the risk checks or the broker is not an error
    /// here: the order comes back `rejected` with its reason, as the order book shows it.
    pub async fn place(&self, ticket: &OrderTicket) -> Result<OrderIntent, OrderDeskError> {
        let instrument = self.catalog.get(ticket.token).ok_or_else(|| {
            OrderDeskError::Invalid(vec![FieldProblem {
                field: "instrument".into(),
                message: "that instrument is not in today's list; search for it again".to_owned(),
            }])
        })?;
        let request = ticket.parse(&instrument).map_err(OrderDeskError::Invalid)?;
        self.executor
            .submit(None, request)
            .await
            .map_err(|e| match e {
                // Its kind kept: an order record the database would not take is a 503 with
                // the reason (a full disk, say), not an internal error.
                ExecError::Store(e) => OrderDeskError::Store(e),
                other => OrderDeskError::Unavailable(other.to_string()),
            })
    }

    /// Changes open order `id` to `change`'s quantity and pricing, checked like a new ticket
    /// (whole lots, the tick grid, a stop's trigger on the right side) and by the risk limits
    /// on one order. Returns the order as the broker's book shows it afterwards.
    pub async fn modify(
        &self,
        id: i64,
        change: &OrderChange,
    ) -> Result<OrderIntent, OrderDeskError> {
        let intent = self.stored(id).await?;
        let r = &intent.request;
        let instrument = self
            .catalog
            .find(r.exchange, &r.tradingsymbol)
            .ok_or_else(|| {
                OrderDeskError::Refused(format!(
                    "{} {} is not in today's instruments list, so the change cannot be checked",
                    r.exchange.code(),
                    r.tradingsymbol
                ))
            })?;
        let request = change
            .ticket(instrument.token, r)
            .parse(&instrument)
            .map_err(OrderDeskError::Invalid)?;
        self.executor
            .modify(&intent, &request)
            .await
            .map_err(|e| OrderDeskError::Refused(e.message))
    }

    async fn stored(&self, id: i64) -> Result<OrderIntent, OrderDeskError> {
        self.intents
            .by_id(id)
            .await
            .map_err(OrderDeskError::Store)?
            .ok_or(OrderDeskError::NotFound(id))
    }

    /// Asks the broker to cancel order `id`; the order book shows it cancelled once the broker
    /// confirms.
    pub async fn cancel(&self, id: i64) -> Result<OrderIntent, OrderDeskError> {
        let intent = self.stored(id).await?;
        self.executor
            .cancel(&intent, "cancelled by the trader on the Orders page")
            .await
            .map_err(|e| OrderDeskError::Refused(e.message))?;
        Ok(intent)
    }
}
