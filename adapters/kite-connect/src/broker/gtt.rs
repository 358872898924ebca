//! Kite's GTTs as the core's standing orders (`OrderKind::Gtt`: a delivery or carry-forward
//! trade's protection). A GTT carries no tag and lives outside the order book, so its trigger
//! id stands where an order id goes (`gtt:<id>`), and the book entry the executor reads for it
//! is made here: from the trigger, and once it fired, from the order it placed.

use osp_core::model::{
    BrokerOrder, GttLeg, OrderKind, OrderRequest, OrderSide, OrderStatus, Price,
};
use osp_core::ports::{BrokerError, BrokerErrorKind};

use super::{domain_error, kite_product, kite_side, status_of};
use crate::common::enums::{GttType, OrderType, Variety};
use crate::http::models::{Gtt, GttOrder, GttParams, Order};
use crate::http::{KiteClient, KiteError, Retry};

/// What stands where an order id goes for a GTT: `gtt:` and its trigger id.
const PREFIX: &str = "gtt:";

/// The trigger id in a GTT's stand-in order id.
pub(super) fn trigger_id(order_id: &str) -> Option<i64> {
    order_id.strip_prefix(PREFIX)?.parse().ok()
}

fn order_id(trigger: i64) -> String {
    format!("{PREFIX}{trigger}")
}

/// The GTT Kite takes for exit `order` (instrument `token`, last price `ltp`): the stop alone,
/// or two legs with the target — the lower trigger first, as Kite wants them (a sell's stop is
/// below its target, a buy's above).
pub(super) fn params(
    order: &OrderRequest,
    stop: GttLeg,
    target: Option<GttLeg>,
    token: u32,
    ltp: Price,
) -> GttParams {
    let leg = |l: GttLeg| GttOrder {
        exchange: order.exchange.code().to_owned(),
        tradingsymbol: order.tradingsymbol.clone(),
        product: kite_product(order.product).as_str().to_owned(),
        order_type: OrderType::Limit.as_str().to_owned(),
        transaction_type: kite_side(order.side).as_str().to_owned(),
        quantity: i64::from(order.quantity),
        price: l.price,
        result: None,
    };
    let (kind, legs) = match target {
        None => (GttType::Single, vec![stop]),
        Some(target) if order.side == OrderSide::Sell => (GttType::TwoLeg, vec![stop, target]),
        Some(target) => (GttType::TwoLeg, vec![target, stop]),
    };
    GttParams {
        kind,
        exchange: order.exchange.code().to_owned(),
        tradingsymbol: order.tradingsymbol.clone(),
        instrument_token: token,
        last_price: ltp,
        trigger_values: legs.iter().map(|l| l.trigger).collect(),
        orders: legs.into_iter().map(leg).collect(),
    }
}

/// The domain's kind for what `gtt` holds, read as an exit on `side`; `None` for a GTT of a
/// shape the platform does not place.
pub(super) fn kind_of(gtt: &Gtt, side: OrderSide) -> Option<OrderKind> {
    let leg = |i: usize| {
        Some(GttLeg {
            trigger: *gtt.condition.trigger_values.get(i)?,
            price: gtt.orders.get(i)?.price,
        })
    };
    match (gtt.kind.as_str(), side) {
        ("single", _) => Some(OrderKind::Gtt {
            stop: leg(0)?,
            target: None,
        }),
        ("two-leg", OrderSide::Sell) => Some(OrderKind::Gtt {
            stop: leg(0)?,
            target: Some(leg(1)?),
        }),
        ("two-leg", OrderSide::Buy) => Some(OrderKind::Gtt {
            stop: leg(1)?,
            target: Some(leg(0)?),
        }),
        _ => None,
    }
}

/// Whether `gtt` is the one placed for `request`: the same instrument, side, product,
/// quantity and legs, and not ended.
pub(super) fn holds(gtt: &Gtt, request: &OrderRequest) -> bool {
    let side = kite_side(request.side).as_str();
    let product = kite_product(request.product).as_str();
    matches!(gtt.status.as_str(), "active" | "triggered")
        && gtt.condition.exchange == request.exchange.code()
        && gtt.condition.tradingsymbol == request.tradingsymbol
        && gtt.orders.iter().all(|o| {
            o.transaction_type == side
                && o.product == product
                && o.quantity == i64::from(request.quantity)
        })
        && kind_of(gtt, request.side) == Some(request.kind)
}

/// The order id of what a fired `gtt` placed, if it placed one.
pub(super) fn fired_order(gtt: &Gtt) -> Option<&str> {
    gtt.orders
        .iter()
        .filter_map(|o| o.result.as_ref())
        .map(|r| r.order_result.order_id.as_str())
        .find(|id| !id.is_empty())
}

/// The book entry the executor reads for `gtt`, placed for `request`; `fired`: the order it
/// placed, as the book shows it now.
pub(super) fn book_entry(gtt: &Gtt, request: &OrderRequest, fired: Option<&Order>) -> BrokerOrder {
    let mut entry = BrokerOrder {
        order_id: order_id(gtt.id),
        tag: Some(request.tag.clone()),
        status: OrderStatus::TriggerPending,
        quantity: request.quantity,
        kind: kind_of(gtt, request.side),
        filled_quantity: 0,
        average_price: None,
        status_message: None,
    };
    match gtt.status.as_str() {
        "active" => {}
        "triggered" => {
            let result = gtt.orders.iter().find_map(|o| o.result.as_ref());
            match (result, fired) {
                (_, Some(order)) => {
                    entry.status = status_of(&order.status);
                    entry.filled_quantity = u32::try_from(order.filled_quantity).unwrap_or(0);
                    entry.average_price =
                        (!order.average_price.is_zero()).then_some(order.average_price);
                    entry.status_message = order.status_message.clone();
                }
                (Some(r), None) if r.order_result.status != "success" => {
                    entry.status = OrderStatus::Rejected;
                    entry.status_message = Some(format!(
                        "the GTT fired but Kite could not place its order: {}",
                        r.order_result.rejection_reason
                    ));
                }
                // Fired, its order not in the book yet.
                _ => entry.status = OrderStatus::Open,
            }
        }
        "rejected" => {
            entry.status = OrderStatus::Rejected;
            entry.status_message = Some("Kite rejected the GTT".to_owned());
        }
        ended => {
            entry.status = OrderStatus::Cancelled;
            entry.status_message = Some(format!("the GTT is {ended} at Kite"));
        }
    }
    entry
}

fn rejected(message: String) -> BrokerError {
    BrokerError {
        kind: BrokerErrorKind::Rejected,
        message,
    }
}

/// A GTT placement whose answer was lost may have reached Kite: said as uncertain, so the
/// executor looks for it (`find`) before anything is sent again.
fn placement_error(error: KiteError) -> BrokerError {
    if error.retry() == Retry::OnlyIfIdempotent || matches!(error, KiteError::Decode(_)) {
        return BrokerError {
            kind: BrokerErrorKind::Uncertain,
            message: format!("the GTT may or may not be placed at Kite: {error}"),
        };
    }
    domain_error(error)
}

/// What Kite's GTT calls need besides the legs: the instrument's token and last price.
async fn quote(client: &KiteClient, order: &OrderRequest) -> Result<(u32, Price), BrokerError> {
    let key = format!("{}:{}", order.exchange.code(), order.tradingsymbol);
    let quotes = client.ltp(&[&key]).await.map_err(domain_error)?;
    let quote = quotes.get(&key).ok_or_else(|| {
        rejected(format!(
            "Kite has no last price for {key}, which a GTT needs; try again once it trades"
        ))
    })?;
    Ok((quote.instrument_token, quote.last_price))
}

fn legs(order: &OrderRequest) -> Result<(GttLeg, Option<GttLeg>), BrokerError> {
    match order.kind {
        OrderKind::Gtt { stop, target } => Ok((stop, target)),
        _ => Err(rejected("not a GTT".to_owned())),
    }
}

pub(super) async fn place(
    client: &KiteClient,
    order: &OrderRequest,
) -> Result<String, BrokerError> {
    let (stop, target) = legs(order)?;
    let (token, ltp) = quote(client, order).await?;
    client
        .place_gtt(&params(order, stop, target, token, ltp))
        .await
        .map(|id| self::order_id(id.trigger_id))
        .map_err(placement_error)
}

pub(super) async fn modify(
    client: &KiteClient,
    trigger: i64,
    order: &OrderRequest,
) -> Result<(), BrokerError> {
    let (stop, target) = legs(order)?;
    let (token, ltp) = quote(client, order).await?;
    client
        .modify_gtt(trigger, &params(order, stop, target, token, ltp))
        .await
        .map(|_| ())
        .map_err(domain_error)
}

/// Takes a GTT back: deleted while it waits; once fired, the order it placed is cancelled
/// (deleting a fired GTT would leave its order working).
pub(super) async fn cancel(client: &KiteClient, trigger: i64) -> Result<(), BrokerError> {
    let gtt = client.gtt(trigger).await.map_err(domain_error)?;
    match (gtt.status.as_str(), fired_order(&gtt)) {
        ("active", _) => client
            .delete_gtt(trigger)
            .await
            .map(|_| ())
            .map_err(domain_error),
        ("triggered", Some(fired)) => client
            .cancel_order(Variety::Regular, fired)
            .await
            .map(|_| ())
            .map_err(domain_error),
        (status, _) => Err(rejected(format!(
            "GTT {trigger} is {status} at Kite; there is nothing to cancel"
        ))),
    }
}

/// The book entry of the GTT placed for `request`: by its trigger id once known, else (its
/// placement's answer lost) the newest GTT holding just what `request` asks. `None`: Kite has
/// no such GTT (deleted, or never placed).
pub(super) async fn find(
    client: &KiteClient,
    request: &OrderRequest,
    known: Option<&str>,
) -> Result<Option<BrokerOrder>, BrokerError> {
    let gtt = match known.and_then(trigger_id) {
        Some(id) => match client.gtt(id).await {
            Ok(gtt) => gtt,
            Err(e) if e.status() == Some(404) => return Ok(None),
            Err(e) => return Err(domain_error(e)),
        },
        None => {
            let gtts = client.gtts().await.map_err(domain_error)?;
            match gtts
                .into_iter()
                .filter(|g| holds(g, request))
                .max_by_key(|g| g.id)
            {
                Some(gtt) => gtt,
                None => return Ok(None),
            }
        }
    };
    let fired = match fired_order(&gtt) {
        Some(id) => client.order_history(id).await.map_err(domain_error)?.pop(),
        None => None,
    };
    Ok(Some(book_entry(&gtt, request, fired.as_ref())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::models::{GttCondition, GttOrderResult, GttResult};
    use osp_core::model::{Exchange, OrderTag, ProductKind};

    fn p(s: &str) -> Price {
        Price::parse(s).unwrap()
    }

    fn exit(side: OrderSide, kind: OrderKind) -> OrderRequest {
        OrderRequest {
            exchange: Exchange::Nse,
            tradingsymbol: "INFY".to_owned(),
            side,
            quantity: 5,
            kind,
            product: ProductKind::Delivery,
            tag: OrderTag::parse("osp1").unwrap(),
        }
    }

    fn as_kite(params: &GttParams, id: i64, status: &str) -> Gtt {
        Gtt {
            id,
            user_id: String::new(),
            parent_trigger: None,
            kind: params.kind.to_string(),
            created_at: None,
            updated_at: None,
            expires_at: None,
            status: status.to_owned(),
            condition: GttCondition {
                exchange: params.exchange.clone(),
                tradingsymbol: params.tradingsymbol.clone(),
                instrument_token: params.instrument_token,
                last_price: params.last_price,
                trigger_values: params.trigger_values.clone(),
            },
            orders: params.orders.clone(),
        }
    }

    #[test]
    fn a_sell_oco_puts_its_stop_low_and_a_buy_oco_its_stop_high_and_both_read_back() {
        let stop = GttLeg {
            trigger: p("1480"),
            price: p("1450.40"),
        };
        let target = GttLeg {
            trigger: p("1550"),
            price: p("1550"),
        };
        let kind = OrderKind::Gtt {
            stop,
            target: Some(target),
        };
        let sell = exit(OrderSide::Sell, kind);
        let params = params(&sell, stop, Some(target), 408_065, p("1500"));
        assert_eq!(params.kind, GttType::TwoLeg);
        assert_eq!(params.trigger_values, vec![p("1480"), p("1550")]);
        assert_eq!(params.orders[0].price, p("1450.40"));
        assert_eq!(params.orders[0].order_type, "LIMIT");
        assert_eq!(params.orders[0].product, "CNC");
        assert_eq!(params.orders[1].transaction_type, "SELL");
        params.validate().unwrap();
        let gtt = as_kite(&params, 7, "active");
        assert_eq!(kind_of(&gtt, OrderSide::Sell), Some(kind));
        assert!(holds(&gtt, &sell));
        // Another quantity, or an ended GTT, is not the one placed for this exit.
        assert!(!holds(
            &gtt,
            &OrderRequest {
                quantity: 4,
                ..sell.clone()
            }
        ));
        assert!(!holds(&as_kite(&params, 7, "deleted"), &sell));

        // A short's protection buys: its stop is the upper trigger.
        let stop = GttLeg {
            trigger: p("1520"),
            price: p("1550.40"),
        };
        let target = GttLeg {
            trigger: p("1450"),
            price: p("1450"),
        };
        let kind = OrderKind::Gtt {
            stop,
            target: Some(target),
        };
        let buy = exit(OrderSide::Buy, kind);
        let params = super::params(&buy, stop, Some(target), 408_065, p("1500"));
        assert_eq!(params.trigger_values, vec![p("1450"), p("1520")]);
        params.validate().unwrap();
        assert_eq!(
            kind_of(&as_kite(&params, 8, "active"), OrderSide::Buy),
            Some(kind)
        );
    }

    #[test]
    fn a_gtt_reads_as_a_stop_waiting_then_as_the_order_it_placed() {
        let stop = GttLeg {
            trigger: p("1480"),
            price: p("1450.40"),
        };
        let kind = OrderKind::Gtt { stop, target: None };
        let sell = exit(OrderSide::Sell, kind);
        let params = params(&sell, stop, None, 408_065, p("1500"));
        let mut gtt = as_kite(&params, 9, "active");
        let entry = book_entry(&gtt, &sell, None);
        assert_eq!(entry.order_id, "gtt:9");
        assert_eq!(trigger_id(&entry.order_id), Some(9));
        assert_eq!(entry.status, OrderStatus::TriggerPending);
        assert_eq!(entry.kind, Some(kind));

        gtt.status = "triggered".to_owned();
        assert_eq!(book_entry(&gtt, &sell, None).status, OrderStatus::Open);
        gtt.orders[0].result = Some(GttResult {
            timestamp: None,
            triggered_at: Some(p("1479.95")),
            order_result: GttOrderResult {
                status: "failed".to_owned(),
                order_id: String::new(),
                rejection_reason: "Insufficient holdings".to_owned(),
            },
        });
        let refused = book_entry(&gtt, &sell, None);
        assert_eq!(refused.status, OrderStatus::Rejected);
        assert!(
            refused
                .status_message
                .unwrap()
                .contains("Insufficient holdings")
        );

        let filled: Order = serde_json::from_value(serde_json::json!({
            "order_id": "250101000000001", "status": "COMPLETE", "variety": "regular",
            "exchange": "NSE", "tradingsymbol": "INFY", "instrument_token": 408065,
            "order_type": "LIMIT", "transaction_type": "SELL", "validity": "DAY",
            "product": "CNC", "quantity": 5, "price": 1450.4, "trigger_price": 0,
            "average_price": 1479.5, "filled_quantity": 5, "pending_quantity": 0,
            "cancelled_quantity": 0, "disclosed_quantity": 0, "market_protection": 0,
            "placed_by": "AB1234", "modified": false
        }))
        .unwrap();
        let done = book_entry(&gtt, &sell, Some(&filled));
        assert_eq!(done.status, OrderStatus::Complete);
        assert_eq!(done.filled_quantity, 5);
        assert_eq!(done.average_price, Some(p("1479.5")));
        assert_eq!(done.order_id, "gtt:9", "the GTT's id stays the order's");

        gtt.status = "deleted".to_owned();
        assert_eq!(book_entry(&gtt, &sell, None).status, OrderStatus::Cancelled);
    }
}
