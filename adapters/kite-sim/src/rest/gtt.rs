//! GTT triggers and alerts over REST. Kite takes a GTT's `condition` and `orders` as JSON text
//! inside a form body; both are checked field by field.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use serde_json::Value;

use super::super::SimState;
use super::super::triggers::NewAlert;
use super::params::Params;
use super::reply::{SimError, SimResult, ok};
use kite_connect::common::enums::{AlertOperator, AlertType, GttType};
use kite_connect::http::models::AlertBasket;
use kite_connect::http::models::{Gtt, GttCondition, GttOrder, TriggerId};

fn parse_gtt(
    sim: &SimState,
    form: &Params,
) -> Result<(GttType, GttCondition, Vec<GttOrder>), SimError> {
    let kind: GttType = form.parse_enum("type")?;
    let condition: GttCondition = serde_json::from_str(form.required("condition")?)
        .map_err(|e| SimError::input(format!("Invalid `condition`: {e}")))?;
    let orders: Vec<GttOrder> = serde_json::from_str(form.required("orders")?)
        .map_err(|e| SimError::input(format!("Invalid `orders`: {e}")))?;
    let legs = if kind == GttType::Single { 1 } else { 2 };
    if condition.trigger_values.len() != legs || orders.len() != legs {
        return Err(SimError::input(format!(
            "Invalid `condition`: a {kind} GTT has {legs} trigger value(s) and {legs} order(s)."
        )));
    }
    if kind == GttType::TwoLeg && condition.trigger_values[0] >= condition.trigger_values[1] {
        return Err(SimError::input(
            "Invalid `condition`: the lower trigger must be below the upper one.",
        ));
    }
    let instrument = sim
        .universe
        .by_symbol(&condition.exchange, &condition.tradingsymbol)
        .ok_or_else(|| {
            SimError::input(format!(
                "Invalid `condition`: {}:{} is not an instrument.",
                condition.exchange, condition.tradingsymbol
            ))
        })?;
    if !instrument.is_tradable() {
        return Err(SimError::input(
            "Invalid `condition`: indices cannot have GTTs.",
        ));
    }
    let condition = GttCondition {
        instrument_token: instrument.token.0,
        ..condition
    };
    Ok((kind, condition, orders))
}

pub(super) async fn place_gtt(State(sim): State<Arc<SimState>>, body: Bytes) -> SimResult {
    let form = Params::parse(&body);
    let (kind, condition, orders) = parse_gtt(&sim, &form)?;
    let now = sim.now_text();
    let id = sim.triggers.place_gtt(Gtt {
        id: 0,
        user_id: sim.broker.user_id().to_owned(),
        parent_trigger: None,
        kind: kind.to_string(),
        created_at: Some(now.clone()),
        updated_at: Some(now),
        expires_at: None,
        status: "active".into(),
        condition,
        orders,
    });
    Ok(ok(TriggerId { trigger_id: id }))
}

pub(super) async fn modify_gtt(
    State(sim): State<Arc<SimState>>,
    Path(id): Path<i64>,
    body: Bytes,
) -> SimResult {
    let form = Params::parse(&body);
    let (kind, condition, orders) = parse_gtt(&sim, &form)?;
    sim.triggers
        .modify_gtt(id, kind.to_string(), condition, orders, &sim.now_text())
        .map_err(SimError::input)?;
    Ok(ok(TriggerId { trigger_id: id }))
}

pub(super) async fn delete_gtt(State(sim): State<Arc<SimState>>, Path(id): Path<i64>) -> SimResult {
    sim.triggers.delete_gtt(id).map_err(SimError::not_found)?;
    Ok(ok(TriggerId { trigger_id: id }))
}

pub(super) async fn list_gtts(State(sim): State<Arc<SimState>>) -> SimResult {
    Ok(ok(sim.triggers.gtts()))
}

pub(super) async fn get_gtt(State(sim): State<Arc<SimState>>, Path(id): Path<i64>) -> SimResult {
    sim.triggers
        .gtt(id)
        .map(ok)
        .ok_or_else(|| SimError::not_found(format!("Trigger {id} not found.")))
}

fn parse_alert(sim: &SimState, form: &Params) -> Result<NewAlert, SimError> {
    let kind: AlertType = form.parse_enum("type")?;
    let basket = match (kind, form.get("basket")) {
        (AlertType::Ato, None) => {
            return Err(SimError::input(
                "Missing `basket`: an ATO alert needs its orders.",
            ));
        }
        (AlertType::Ato, Some(text)) => Some(parse_basket(sim, text)?),
        (AlertType::Simple, _) => None,
    };
    if form.required("lhs_attribute")? != "LastTradedPrice" {
        return Err(SimError::input(
            "Invalid `lhs_attribute`: this simulator supports LastTradedPrice.",
        ));
    }
    if form.required("rhs_type")? != "constant" {
        return Err(SimError::input(
            "Invalid `rhs_type`: this simulator supports constant.",
        ));
    }
    let exchange = form.required("lhs_exchange")?;
    let exchange = if exchange == "INDICES" {
        "NSE"
    } else {
        exchange
    };
    let symbol = form.required("lhs_tradingsymbol")?;
    let instrument = sim.universe.by_symbol(exchange, symbol).ok_or_else(|| {
        SimError::input(format!(
            "Invalid `lhs_tradingsymbol`: {exchange}:{symbol} is not an instrument."
        ))
    })?;
    Ok(NewAlert {
        name: form.required("name")?.to_owned(),
        kind: kind.to_string(),
        instrument: instrument.clone(),
        operator: form.parse_enum::<AlertOperator>("operator")?,
        value: form
            .price("rhs_constant")?
            .ok_or_else(|| SimError::input("Missing `rhs_constant`."))?,
        basket,
    })
}

/// An ATO alert's `basket` (JSON text): every order on a tradable instrument, with a quantity.
fn parse_basket(sim: &SimState, text: &str) -> Result<AlertBasket, SimError> {
    let mut basket: AlertBasket = serde_json::from_str(text)
        .map_err(|e| SimError::input(format!("Invalid `basket`: {e}.")))?;
    if basket.items.is_empty() {
        return Err(SimError::input("Invalid `basket`: it has no orders."));
    }
    for (n, item) in basket.items.iter_mut().enumerate() {
        let instrument = sim
            .universe
            .by_symbol(&item.exchange, &item.tradingsymbol)
            .filter(|i| i.is_tradable())
            .ok_or_else(|| {
                SimError::input(format!(
                    "Invalid `basket`: {}:{} is not a tradable instrument.",
                    item.exchange, item.tradingsymbol
                ))
            })?;
        if item.params.quantity <= 0 {
            return Err(SimError::input(format!(
                "Invalid `basket`: order {} has no quantity.",
                n + 1
            )));
        }
        item.instrument_token = instrument.token.0;
        item.id = (n + 1) as i64;
    }
    Ok(basket)
}

pub(super) async fn create_alert(State(sim): State<Arc<SimState>>, body: Bytes) -> SimResult {
    let alert = parse_alert(&sim, &Params::parse(&body))?;
    sim.triggers
        .create_alert(alert, sim.broker.user_id(), &sim.now_text())
        .map(ok)
        .map_err(SimError::input)
}

pub(super) async fn modify_alert(
    State(sim): State<Arc<SimState>>,
    Path(uuid): Path<String>,
    body: Bytes,
) -> SimResult {
    let alert = parse_alert(&sim, &Params::parse(&body))?;
    sim.triggers
        .modify_alert(&uuid, alert, &sim.now_text())
        .map(ok)
        .map_err(SimError::not_found)
}

pub(super) async fn delete_alerts(
    State(sim): State<Arc<SimState>>,
    RawQuery(q): RawQuery,
) -> SimResult {
    let params = Params::parse(q.as_deref().unwrap_or("").as_bytes());
    let uuids = params.all("uuid");
    if uuids.is_empty() {
        return Err(SimError::input("Missing `uuid`."));
    }
    sim.triggers
        .delete_alerts(&uuids)
        .map_err(SimError::not_found)?;
    Ok(ok(Value::Null))
}

pub(super) async fn list_alerts(State(sim): State<Arc<SimState>>) -> SimResult {
    Ok(ok(sim.triggers.alerts()))
}

pub(super) async fn get_alert(
    State(sim): State<Arc<SimState>>,
    Path(uuid): Path<String>,
) -> SimResult {
    sim.triggers
        .alert(&uuid)
        .map(ok)
        .ok_or_else(|| SimError::not_found(format!("Alert {uuid} not found.")))
}

pub(super) async fn alert_history(
    State(sim): State<Arc<SimState>>,
    Path(uuid): Path<String>,
) -> SimResult {
    sim.triggers
        .alert_history(&uuid)
        .map(ok)
        .ok_or_else(|| SimError::not_found(format!("Alert {uuid} not found.")))
}
