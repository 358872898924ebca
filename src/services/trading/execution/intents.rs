//! The order intent's life: the only transitions an intent may make, whatever order the
//! broker's answers and updates arrive in. Final states absorb everything; fills never go
//! backwards; an order id, once known, never changes. `reconcile` decides, for an intent whose
//! placement answer is unknown (a crash or a timeout), whether the broker already has it (adopt
//! it) or provably does not (send it) — the heart of "exactly once".

use crate::model::{BrokerOrder, IntentState, OrderIntent, OrderStatus};

/// Something the broker said about an intent.
#[derive(Clone, Copy, Debug)]
pub enum IntentEvent<'a> {
    /// The placement was answered with an order id.
    Accepted { order_id: &'a str },
    /// The placement was refused outright: nothing was placed.
    Refused { reason: &'a str },
    /// The broker's view of the order: an order update, or its book during reconciliation.
    Order(&'a BrokerOrder),
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IntentError {
    #[error("intent {intent}: the broker reported order {got}, but it is order {known}")]
    OtherOrder {
        intent: i64,
        known: String,
        got: String,
    },
    #[error("intent {intent}: a refusal arrived after the broker accepted order {known}")]
    RefusedAfterAccepted { intent: i64, known: String },
    #[error("intent {intent}: the broker's order carries another tag")]
    OtherTag { intent: i64 },
}

/// The intent after `event`, or `None` when nothing changes (a repeated or stale update).
pub fn advance(
    intent: &OrderIntent,
    event: IntentEvent<'_>,
    now_ms: i64,
) -> Result<Option<OrderIntent>, IntentError> {
    if intent.state.is_final() {
        return Ok(None);
    }
    let mut next = intent.clone();
    next.updated_ms = now_ms;
    match event {
        IntentEvent::Accepted { order_id } => match &intent.broker_order_id {
            Some(known) if known != order_id => {
                return Err(IntentError::OtherOrder {
                    intent: intent.id,
                    known: known.clone(),
                    got: order_id.to_owned(),
                });
            }
            Some(_) => return Ok(None),
            None => {
                next.broker_order_id = Some(order_id.to_owned());
                next.state = IntentState::Placed;
            }
        },
        IntentEvent::Refused { reason } => {
            if let Some(known) = &intent.broker_order_id {
                return Err(IntentError::RefusedAfterAccepted {
                    intent: intent.id,
                    known: known.clone(),
                });
            }
            next.state = IntentState::Rejected;
            next.reason = Some(reason.to_owned());
        }
        IntentEvent::Order(order) => {
            if order.tag.as_ref() != Some(&intent.request.tag) && order.tag.is_some() {
                return Err(IntentError::OtherTag { intent: intent.id });
            }
            match &intent.broker_order_id {
                Some(known) if *known != order.order_id => {
                    return Err(IntentError::OtherOrder {
                        intent: intent.id,
                        known: known.clone(),
                        got: order.order_id.clone(),
                    });
                }
                _ => next.broker_order_id = Some(order.order_id.clone()),
            }
            // A stale update (fewer fills than already seen) changes nothing.
            if order.filled_quantity < intent.filled_quantity {
                return Ok(None);
            }
            next.filled_quantity = order.filled_quantity;
            // The broker's book is the truth about a modification (ours, or one made in
            // Kite's own apps): the record follows its quantity and pricing.
            if order.quantity >= order.filled_quantity && order.quantity > 0 {
                next.request.quantity = order.quantity;
            }
            if let Some(kind) = order.kind {
                next.request.kind = kind;
            }
            if order.average_price.is_some() {
                next.average_price = order.average_price;
            }
            next.state = match order.status {
                OrderStatus::Complete => IntentState::Filled,
                OrderStatus::Rejected => IntentState::Rejected,
                OrderStatus::Cancelled => IntentState::Cancelled,
                OrderStatus::Pending | OrderStatus::Open | OrderStatus::TriggerPending => {
                    if order.filled_quantity > 0 {
                        IntentState::PartiallyFilled
                    } else {
                        IntentState::Placed
                    }
                }
            };
            if matches!(next.state, IntentState::Rejected | IntentState::Cancelled) {
                next.reason = order.status_message.clone().or(next.reason);
            }
        }
    }
    if next.state == intent.state
        && next.filled_quantity == intent.filled_quantity
        && next.broker_order_id == intent.broker_order_id
        && next.average_price == intent.average_price
        && next.reason == intent.reason
        && next.request == intent.request
    {
        return Ok(None);
    }
    Ok(Some(next))
}

/// What to do with an intent whose placement answer is unknown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reconciliation {
    /// The broker has it: record what the broker says; never send it again.
    Adopt(Box<OrderIntent>),
    /// The broker's book (authoritative for the day) has no order with its tag: send it once.
    Send,
    /// Not pending: nothing to reconcile.
    Settled,
}

/// `found` is the broker's order carrying the intent's tag, looked up after the uncertainty.
pub fn reconcile(
    intent: &OrderIntent,
    found: Option<&BrokerOrder>,
    now_ms: i64,
) -> Result<Reconciliation, IntentError> {
    if intent.state != IntentState::Pending {
        return Ok(Reconciliation::Settled);
    }
    match found {
        None => Ok(Reconciliation::Send),
        Some(order) => {
            if order.tag.as_ref() != Some(&intent.request.tag) {
                return Err(IntentError::OtherTag { intent: intent.id });
            }
            let adopted = advance(intent, IntentEvent::Order(order), now_ms)?;
            Ok(Reconciliation::Adopt(Box::new(
                adopted.unwrap_or_else(|| intent.clone()),
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        Exchange, OrderKind, OrderRequest, OrderSide, OrderTag, Price, ProductKind,
    };
    use proptest::prelude::*;

    fn intent() -> OrderIntent {
        OrderIntent {
            id: 1,
            level: None,
            closes: None,
            outside_exit: false,
            request: OrderRequest {
                exchange: Exchange::Nse,
                tradingsymbol: "SBIN".to_owned(),
                side: OrderSide::Buy,
                quantity: 10,
                kind: OrderKind::Market,
                product: ProductKind::Intraday,
                tag: OrderTag::parse("osp1").unwrap(),
            },
            state: IntentState::Pending,
            broker_order_id: None,
            filled_quantity: 0,
            average_price: None,
            reason: None,
            created_ms: 0,
            updated_ms: 0,
        }
    }

    fn order(id: &str, status: OrderStatus, filled: u32) -> BrokerOrder {
        BrokerOrder {
            order_id: id.to_owned(),
            tag: Some(OrderTag::parse("osp1").unwrap()),
            status,
            quantity: 10,
            kind: None,
            filled_quantity: filled,
            average_price: (filled > 0).then(|| Price::from_rupees(812).unwrap()),
            status_message: (status == OrderStatus::Rejected).then(|| "margin".to_owned()),
        }
    }

    fn step(i: &OrderIntent, e: IntentEvent<'_>) -> OrderIntent {
        advance(i, e, 5).unwrap().expect("a change")
    }

    #[test]
    fn a_modification_at_the_broker_moves_the_record() {
        let placed = step(&intent(), IntentEvent::Accepted { order_id: "A1" });
        let mut changed = order("A1", OrderStatus::Open, 0);
        changed.quantity = 25;
        changed.kind = Some(OrderKind::Limit {
            price: Price::from_rupees(800).unwrap(),
        });
        let next = step(&placed, IntentEvent::Order(&changed));
        assert_eq!(next.state, IntentState::Placed);
        assert_eq!(next.request.quantity, 25);
        assert_eq!(next.request.kind, changed.kind.unwrap());
        assert_eq!(
            next.request.tag, placed.request.tag,
            "the tag never changes"
        );
        // The same news again changes nothing.
        assert!(
            advance(&next, IntentEvent::Order(&changed), 6)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn accepted_then_filled_in_parts() {
        let placed = step(&intent(), IntentEvent::Accepted { order_id: "A1" });
        assert_eq!(placed.state, IntentState::Placed);
        let part = step(
            &placed,
            IntentEvent::Order(&order("A1", OrderStatus::Open, 4)),
        );
        assert_eq!(part.state, IntentState::PartiallyFilled);
        let done = step(
            &part,
            IntentEvent::Order(&order("A1", OrderStatus::Complete, 10)),
        );
        assert_eq!(done.state, IntentState::Filled);
        assert_eq!(done.average_price, Some(Price::from_rupees(812).unwrap()));
        // Final absorbs repeats and stragglers.
        assert_eq!(
            advance(
                &done,
                IntentEvent::Order(&order("A1", OrderStatus::Open, 4)),
                6
            ),
            Ok(None)
        );
        // A repeated acceptance changes nothing; another order id is an error.
        assert_eq!(
            advance(&placed, IntentEvent::Accepted { order_id: "A1" }, 6),
            Ok(None)
        );
        assert!(advance(&placed, IntentEvent::Accepted { order_id: "B2" }, 6).is_err());
        assert!(advance(&placed, IntentEvent::Refused { reason: "x" }, 6).is_err());
    }

    #[test]
    fn a_refusal_or_broker_rejection_is_final_with_its_reason() {
        let refused = step(
            &intent(),
            IntentEvent::Refused {
                reason: "insufficient funds",
            },
        );
        assert_eq!(refused.state, IntentState::Rejected);
        assert_eq!(refused.reason.as_deref(), Some("insufficient funds"));
        let rejected = step(
            &intent(),
            IntentEvent::Order(&order("A1", OrderStatus::Rejected, 0)),
        );
        assert_eq!(rejected.state, IntentState::Rejected);
        assert_eq!(rejected.reason.as_deref(), Some("margin"));
    }

    #[test]
    fn an_uncertain_intent_is_adopted_if_the_broker_has_it_else_sent_once() {
        assert_eq!(reconcile(&intent(), None, 9), Ok(Reconciliation::Send));
        let found = order("A7", OrderStatus::Complete, 10);
        let Ok(Reconciliation::Adopt(adopted)) = reconcile(&intent(), Some(&found), 9) else {
            panic!("adopted");
        };
        assert_eq!(adopted.state, IntentState::Filled);
        assert_eq!(adopted.broker_order_id.as_deref(), Some("A7"));
        let mut other = found.clone();
        other.tag = Some(OrderTag::parse("osp2").unwrap());
        assert!(reconcile(&intent(), Some(&other), 9).is_err());
        let placed = step(&intent(), IntentEvent::Accepted { order_id: "A7" });
        assert_eq!(reconcile(&placed, None, 9), Ok(Reconciliation::Settled));
    }

    proptest! {
        /// Whatever the broker sends, in whatever order: fills never go backwards, a final
        /// state never changes, and the order id never changes once known.
        #[test]
        fn updates_in_any_order_keep_the_intent_consistent(
            updates in prop::collection::vec((0u8..6, 0u32..=10), 0..30),
        ) {
            let statuses = [
                OrderStatus::Pending, OrderStatus::Open, OrderStatus::TriggerPending,
                OrderStatus::Complete, OrderStatus::Cancelled, OrderStatus::Rejected,
            ];
            let mut current = intent();
            for (status, filled) in updates {
                let before = current.clone();
                let o = order("A1", statuses[status as usize], filled);
                if let Some(next) = advance(&current, IntentEvent::Order(&o), 1).unwrap() {
                    current = next;
                }
                prop_assert!(current.filled_quantity >= before.filled_quantity);
                if before.state.is_final() {
                    prop_assert_eq!(&current, &before);
                }
                if before.broker_order_id.is_some() {
                    prop_assert_eq!(&current.broker_order_id, &before.broker_order_id);
                }
            }
        }
    }
}
