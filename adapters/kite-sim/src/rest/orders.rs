//! Orders: place / modify / cancel, the order book, history, trades, order margins.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use osp_core::model::Price;

use super::super::SimState;
use super::params::Params;
use super::reply::{SimError, SimResult, ok};
use kite_connect::common::enums::{OrderType, Validity, Variety};
use kite_connect::http::models::{
    BasketMargins, Charges, Gst, MarginOrder, MarginPnl, ModifyParams, OrderId, OrderMargin,
    OrderParams, validate_tag,
};

pub(super) async fn place(
    State(sim): State<Arc<SimState>>,
    Path(variety): Path<String>,
    body: Bytes,
) -> SimResult {
    sim.control.placement_arrived();
    let variety: Variety = variety
        .parse()
        .map_err(|e| SimError::input(format!("Invalid `variety`: {e}")))?;
    let form = Params::parse(&body);
    // Kite's extra fields per variety; once accepted, the simulator matches every variety
    // like a regular order (an iceberg fills as one, a cover order's stop is not placed).
    match variety {
        Variety::Auction => {
            return Err(SimError::input(
                "The auction variety is not offered by this simulator; use regular, amo, co or iceberg.",
            ));
        }
        Variety::Co if form.get("trigger_price").is_none() => {
            return Err(SimError::input(
                "Missing `trigger_price`: a cover order needs its stop-loss trigger.",
            ));
        }
        Variety::Iceberg => {
            let legs: u32 = form
                .number("iceberg_legs")?
                .ok_or_else(|| SimError::input("Missing `iceberg_legs`."))?;
            form.number::<u32>("iceberg_quantity")?
                .ok_or_else(|| SimError::input("Missing `iceberg_quantity`."))?;
            if !(2..=10).contains(&legs) {
                return Err(SimError::input(
                    "Invalid `iceberg_legs`: an iceberg has 2 to 10 legs.",
                ));
            }
        }
        _ => {}
    }
    let tag = form.get("tag").map(str::to_owned);
    if let Some(tag) = &tag {
        validate_tag(tag).map_err(|e| SimError::input(format!("Invalid `tag`: {e}")))?;
    }
    let order_type: OrderType = form.parse_enum("order_type")?;
    let mut request = OrderParams::new(
        form.required("exchange")?,
        form.required("tradingsymbol")?,
        form.parse_enum("transaction_type")?,
        order_type,
        form.parse_enum("product")?,
        form.number("quantity")?
            .ok_or_else(|| SimError::input("Missing `quantity`."))?,
    );
    request.variety = variety;
    request.price = form.price("price")?.filter(|p| !p.is_zero());
    request.trigger_price = form.price("trigger_price")?.filter(|p| !p.is_zero());
    request.validity = form.optional_enum("validity")?.unwrap_or(Validity::Day);
    request.disclosed_quantity = form.number("disclosed_quantity")?;
    request.tag = tag;
    let market = sim.market.snapshot_now();
    let order_id = sim.broker.place(request, &market)?;
    Ok(ok(OrderId { order_id }))
}

pub(super) async fn modify(
    State(sim): State<Arc<SimState>>,
    Path((variety, order_id)): Path<(String, String)>,
    body: Bytes,
) -> SimResult {
    let form = Params::parse(&body);
    let change = ModifyParams {
        order_type: form.optional_enum("order_type")?,
        quantity: form.number("quantity")?,
        price: form.price("price")?,
        trigger_price: form.price("trigger_price")?,
        validity: form.optional_enum("validity")?,
        disclosed_quantity: form.number("disclosed_quantity")?,
    };
    let market = sim.market.snapshot_now();
    let order_id = sim.broker.modify(&order_id, &variety, change, &market)?;
    Ok(ok(OrderId { order_id }))
}

pub(super) async fn cancel(
    State(sim): State<Arc<SimState>>,
    Path((variety, order_id)): Path<(String, String)>,
) -> SimResult {
    let order_id = sim.broker.cancel(&order_id, &variety)?;
    Ok(ok(OrderId { order_id }))
}

pub(super) async fn list(State(sim): State<Arc<SimState>>) -> SimResult {
    sim.control.book_read();
    Ok(ok(sim.broker.orders()))
}

pub(super) async fn history(
    State(sim): State<Arc<SimState>>,
    Path(order_id): Path<String>,
) -> SimResult {
    sim.broker
        .order_history(&order_id)
        .map(ok)
        .ok_or_else(|| SimError::not_found(format!("Couldn't find order {order_id}.")))
}

pub(super) async fn order_trades(
    State(sim): State<Arc<SimState>>,
    Path(order_id): Path<String>,
) -> SimResult {
    if sim.broker.order_history(&order_id).is_none() {
        return Err(SimError::not_found(format!(
            "Couldn't find order {order_id}."
        )));
    }
    Ok(ok(sim.broker.trades(Some(&order_id))))
}

pub(super) async fn trades(State(sim): State<Arc<SimState>>) -> SimResult {
    Ok(ok(sim.broker.trades(None)))
}

pub(super) async fn order_margins(State(sim): State<Arc<SimState>>, body: Bytes) -> SimResult {
    sim.control.margin_request_arrived();
    Ok(ok(margins_of(&sim, &body)?))
}

/// A basket's margin: the sum of its orders (the simulator does not net hedges, so initial and
/// final are the same).
pub(super) async fn basket_margins(State(sim): State<Arc<SimState>>, body: Bytes) -> SimResult {
    let orders = margins_of(&sim, &body)?;
    let mut total = orders
        .first()
        .cloned()
        .ok_or_else(|| SimError::input("The basket is empty: send at least one order."))?;
    total.kind = String::new();
    total.tradingsymbol = String::new();
    total.exchange = String::new();
    for o in &orders[1..] {
        total.var = total.var.checked_add(o.var).unwrap_or(total.var);
        total.total = total.total.checked_add(o.total).unwrap_or(total.total);
        total.charges.total = total
            .charges
            .total
            .checked_add(o.charges.total)
            .unwrap_or(total.charges.total);
    }
    Ok(ok(BasketMargins {
        initial: total.clone(),
        final_: total,
        orders,
    }))
}

/// A plain margin model: full value for delivery and carry-forward, a fifth for intraday, and
/// Zerodha's equity charges (brokerage ₹20 or 0.03 % for intraday, STT 0.1 % on delivery).
fn margins_of(sim: &SimState, body: &[u8]) -> Result<Vec<OrderMargin>, SimError> {
    let orders: Vec<MarginOrder> = serde_json::from_slice(body)
        .map_err(|e| SimError::input(format!("The body must be a JSON list of orders: {e}")))?;
    let market = sim.market.snapshot_now();
    let mut out = Vec::with_capacity(orders.len());
    for o in orders {
        let instrument = sim
            .universe
            .by_symbol(&o.exchange, &o.tradingsymbol)
            .ok_or_else(|| {
                SimError::input(format!(
                    "Invalid `tradingsymbol`: {}:{} is not an instrument.",
                    o.exchange, o.tradingsymbol
                ))
            })?;
        let ltp = market
            .quote(instrument.token)
            .map(|q| q.tick.last_price)
            .unwrap_or(Price::ZERO);
        let price = if o.price.is_zero() { ltp } else { o.price };
        let value = price.checked_mul_int(o.quantity).unwrap_or(Price::ZERO);
        let intraday = o.product == "MIS";
        let total = if intraday {
            Price::from_raw(value.raw() / 5)
        } else {
            value
        };
        let pct = |basis_points: i64| Price::from_raw(value.raw() * basis_points / 10_000);
        let brokerage = if intraday {
            pct(3).min(Price::from_rupees(20).unwrap_or(Price::ZERO))
        } else {
            Price::ZERO
        };
        let stt = if intraday { Price::ZERO } else { pct(10) };
        let charges_total = brokerage.checked_add(stt).unwrap_or(Price::ZERO);
        out.push(OrderMargin {
            kind: "equity".into(),
            tradingsymbol: o.tradingsymbol,
            exchange: o.exchange,
            span: Price::ZERO,
            exposure: Price::ZERO,
            option_premium: Price::ZERO,
            additional: Price::ZERO,
            bo: Price::ZERO,
            cash: Price::ZERO,
            var: total,
            pnl: MarginPnl {
                realised: Price::ZERO,
                unrealised: Price::ZERO,
            },
            leverage: Price::from_rupees(if intraday { 5 } else { 1 }).unwrap_or(Price::ZERO),
            charges: Charges {
                transaction_tax: stt,
                transaction_tax_type: "stt".into(),
                exchange_turnover_charge: Price::ZERO,
                sebi_turnover_charge: Price::ZERO,
                brokerage,
                stamp_duty: Price::ZERO,
                gst: Gst {
                    igst: Price::ZERO,
                    cgst: Price::ZERO,
                    sgst: Price::ZERO,
                    total: Price::ZERO,
                },
                total: charges_total,
            },
            total,
        });
    }
    Ok(out)
}
