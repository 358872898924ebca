//! A broker that answers as the test scripts it: accepts, refuses, fails, or places the order
//! and loses the answer (the uncertain case) — and keeps a book the executor can search by tag,
//! as Kite's, and the net positions its fills (and trades made outside the app) leave.

use std::collections::VecDeque;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::model::{
    BrokerOrder, BrokerPosition, Exchange, OrderRequest, OrderStatus, OrderTag, Price, ProductKind,
};
use crate::ports::{Broker, BrokerError, BrokerErrorKind};
use crate::services::matching::DayBook;

/// How the broker answers the next placement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Placed, and the order id comes back.
    Accept,
    /// Refused with the broker's reason; nothing placed.
    Reject(String),
    /// Placed, but the answer never arrives (a timeout after the broker took it).
    LoseAnswer,
    /// Not reached; nothing placed.
    Unavailable(String),
    /// The answer never arrives and the request never reached the broker: uncertain to the
    /// caller, nothing placed.
    LoseRequest,
    /// `LoseRequest` after the call took this long on `clock` (a slow timeout).
    LoseRequestAfter(std::sync::Arc<super::ManualClock>, i64),
}

impl PartialEq for super::ManualClock {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for super::ManualClock {}

/// Exchange, trading symbol and product: one position at the broker.
type BookKey = (Exchange, String, ProductKind);

#[derive(Default)]
pub struct ScriptedBroker {
    script: Mutex<VecDeque<Answer>>,
    book: Mutex<Vec<BrokerOrder>>,
    /// What each order in the book asked for, by order id.
    requests: Mutex<Vec<(String, OrderRequest)>>,
    /// The day's fills per instrument and product, kept as Kite reports a position.
    positions: Mutex<Vec<(BookKey, DayBook)>>,
    /// Modifications made, all orders together.
    modified: std::sync::atomic::AtomicUsize,
    /// Reads of the positions (each one of Kite's "everything else" requests).
    position_reads: std::sync::atomic::AtomicUsize,
    /// Cancels are taken but not done until `confirm_cancels` (Kite's CANCEL PENDING).
    slow_cancels: std::sync::atomic::AtomicBool,
    /// The orders whose cancel was taken and not yet done.
    cancelling: Mutex<Vec<String>>,
    /// The next lookups of an order by its tag that fail (the broker's book unreachable).
    failing_lookups: std::sync::atomic::AtomicUsize,
}

impl ScriptedBroker {
    /// The next placements answer these, in order; after them every placement is accepted.
    pub fn script(&self, answers: impl IntoIterator<Item = Answer>) {
        self.script
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(answers);
    }

    /// The next `count` lookups of an order by its tag fail, as when the broker's order book
    /// cannot be read (a 503, a timeout); the rest answer from the book.
    pub fn fail_next_lookups(&self, count: usize) {
        self.failing_lookups
            .store(count, std::sync::atomic::Ordering::Release);
    }

    /// How many times the positions were read.
    pub fn position_reads(&self) -> usize {
        self.position_reads
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// Every order the broker holds, oldest first.
    pub fn book(&self) -> Vec<BrokerOrder> {
        self.book.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// From now on a cancel is taken but not done until `confirm_cancels` (`false`: done at
    /// once again).
    pub fn slow_cancels(&self, slow: bool) {
        self.slow_cancels
            .store(slow, std::sync::atomic::Ordering::Release);
    }

    /// Does the cancels taken meanwhile; returns the updates the broker sends.
    pub fn confirm_cancels(&self) -> Vec<BrokerOrder> {
        let ids: Vec<String> =
            std::mem::take(&mut *self.cancelling.lock().unwrap_or_else(|p| p.into_inner()));
        let mut book = self.book.lock().unwrap_or_else(|p| p.into_inner());
        book.iter_mut()
            .filter(|o| ids.contains(&o.order_id) && !o.status.is_final())
            .map(|o| {
                o.status = OrderStatus::Cancelled;
                o.clone()
            })
            .collect()
    }

    /// How many modifications the broker has made (Kite allows 25 per order).
    pub fn modifications(&self) -> usize {
        self.modified.load(std::sync::atomic::Ordering::Acquire)
    }

    /// How many orders carry `tag`: an order placed twice shows as 2.
    pub fn placed_with(&self, tag: &OrderTag) -> usize {
        self.book()
            .iter()
            .filter(|o| o.tag.as_ref() == Some(tag))
            .count()
    }

    /// Fills the order tagged `tag` whole at `price`, and returns the update the broker sends.
    pub fn fill(&self, tag: &OrderTag, price: Price) -> Option<BrokerOrder> {
        let filled = {
            let mut book = self.book.lock().unwrap_or_else(|p| p.into_inner());
            let order = book
                .iter_mut()
                .rev()
                .find(|o| o.tag.as_ref() == Some(tag))?;
            order.status = OrderStatus::Complete;
            order.filled_quantity = order.quantity;
            order.average_price = Some(price);
            order.clone()
        };
        let request = self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|(id, _)| *id == filled.order_id)
            .map(|(_, r)| r.clone())?;
        self.trade_outside(&request, price);
        Some(filled)
    }

    /// A trade on the account that did not come through the app (the trader's own, in Kite's
    /// app; Kite's square-off): `request` filled whole at `price`, in the positions only.
    pub fn trade_outside(&self, request: &OrderRequest, price: Price) {
        let key = (
            request.exchange,
            request.tradingsymbol.clone(),
            request.product,
        );
        let mut books = self.positions.lock().unwrap_or_else(|p| p.into_inner());
        let i = match books.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                books.push((key, DayBook::default()));
                books.len() - 1
            }
        };
        books[i]
            .1
            .record(request.side, i64::from(request.quantity), price);
    }
}

fn error(kind: BrokerErrorKind, message: &str) -> BrokerError {
    BrokerError {
        kind,
        message: message.to_owned(),
    }
}

#[async_trait]
impl Broker for ScriptedBroker {
    async fn place_order(&self, order: &OrderRequest) -> Result<String, BrokerError> {
        let answer = self
            .script
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front()
            .unwrap_or(Answer::Accept);
        let place = |book: &Mutex<Vec<BrokerOrder>>| {
            let mut book = book.lock().unwrap_or_else(|p| p.into_inner());
            let order_id = format!("SCRIPTED-{}", book.len() + 1);
            book.push(BrokerOrder {
                order_id: order_id.clone(),
                tag: Some(order.tag.clone()),
                status: OrderStatus::Open,
                quantity: order.quantity,
                kind: Some(order.kind),
                filled_quantity: 0,
                average_price: None,
                status_message: None,
            });
            self.requests
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((order_id.clone(), order.clone()));
            order_id
        };
        match answer {
            Answer::Accept => Ok(place(&self.book)),
            Answer::Reject(reason) => Err(error(BrokerErrorKind::Rejected, &reason)),
            Answer::LoseAnswer => {
                place(&self.book);
                Err(error(
                    BrokerErrorKind::Uncertain,
                    "the broker did not answer in time; the order may be placed",
                ))
            }
            Answer::Unavailable(reason) => Err(error(BrokerErrorKind::Unavailable, &reason)),
            Answer::LoseRequestAfter(clock, ms) => {
                clock.advance(ms);
                Err(error(
                    BrokerErrorKind::Uncertain,
                    "the broker did not answer in time; the order may be placed",
                ))
            }
            Answer::LoseRequest => Err(error(
                BrokerErrorKind::Uncertain,
                "the broker did not answer in time; the order may be placed",
            )),
        }
    }

    async fn cancel_order(&self, order_id: &str) -> Result<(), BrokerError> {
        let mut book = self.book.lock().unwrap_or_else(|p| p.into_inner());
        match book.iter_mut().find(|o| o.order_id == order_id) {
            Some(order) if !order.status.is_final() => {
                if self.slow_cancels.load(std::sync::atomic::Ordering::Acquire) {
                    self.cancelling
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(order.order_id.clone());
                } else {
                    order.status = OrderStatus::Cancelled;
                }
                Ok(())
            }
            Some(_) => Err(error(BrokerErrorKind::Rejected, "the order is complete")),
            None => Err(error(BrokerErrorKind::Rejected, "no such order")),
        }
    }

    async fn modify_order(&self, order_id: &str, order: &OrderRequest) -> Result<(), BrokerError> {
        let mut book = self.book.lock().unwrap_or_else(|p| p.into_inner());
        match book.iter_mut().find(|o| o.order_id == order_id) {
            Some(held) if !held.status.is_final() => {
                held.quantity = order.quantity;
                held.kind = Some(order.kind);
                self.modified
                    .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
                Ok(())
            }
            _ => Err(error(
                BrokerErrorKind::Rejected,
                "the order cannot be changed",
            )),
        }
    }

    async fn order_by_tag(&self, tag: &OrderTag) -> Result<Option<BrokerOrder>, BrokerError> {
        let failing = self.failing_lookups.fetch_update(
            std::sync::atomic::Ordering::AcqRel,
            std::sync::atomic::Ordering::Acquire,
            |n| n.checked_sub(1),
        );
        if failing.is_ok() {
            return Err(error(
                BrokerErrorKind::Unavailable,
                "the order book could not be read (scripted)",
            ));
        }
        Ok(self
            .book()
            .into_iter()
            .rev()
            .find(|o| o.tag.as_ref() == Some(tag)))
    }

    async fn orders(&self) -> Result<Vec<BrokerOrder>, BrokerError> {
        Ok(self.book())
    }

    async fn positions(&self) -> Result<Vec<BrokerPosition>, BrokerError> {
        self.position_reads
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        let books = self.positions.lock().unwrap_or_else(|p| p.into_inner());
        Ok(books
            .iter()
            .map(|((exchange, tradingsymbol, product), day)| BrokerPosition {
                exchange: *exchange,
                tradingsymbol: tradingsymbol.clone(),
                product: Some(*product),
                quantity: day.net_quantity(),
                average_price: day.average_price(),
                sold_average: (day.sell_quantity > 0).then(|| day.sell_price()),
                bought_average: (day.buy_quantity > 0).then(|| day.buy_price()),
            })
            .collect())
    }
}
