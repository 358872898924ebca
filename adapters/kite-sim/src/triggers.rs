//! GTTs and alerts held by the simulator, and fired by the market. A single-leg GTT fires when
//! the last price crosses its trigger (from the side it was created on); a two-leg GTT fires its
//! stop-loss leg at or below the lower trigger, its target leg at or above the upper one; a
//! fired GTT places its order through the broker and records the result. An alert counts and
//! records a firing each time its condition turns true; an ATO alert also places its basket's
//! orders through the broker, and is then disabled (as Kite does), its history saying what
//! each order became.

use std::collections::BTreeMap;
use std::sync::Mutex;

use osp_core::model::{InstrumentToken, MarketSnapshot, Price};

use super::broker::SimBroker;
use kite_connect::common::enums::{AlertOperator, OrderType, Product, TransactionType};
use kite_connect::http::models::{
    Alert, AlertBasket, AlertHistoryEntry, AlertHistoryQuote, Gtt, GttCondition, GttOrder,
    GttOrderResult, GttResult, OrderParams,
};
use osp_core::model::Instrument;

#[derive(Default)]
struct State {
    gtts: BTreeMap<i64, Gtt>,
    next_gtt: i64,
    alerts: BTreeMap<String, AlertState>,
}

struct AlertState {
    alert: Alert,
    operator: AlertOperator,
    was_true: bool,
    history: Vec<AlertHistoryEntry>,
}

/// Kite keeps at most this many alerts per user.
pub const ALERT_LIMIT: usize = 200;

#[derive(Default)]
pub struct Triggers {
    state: Mutex<State>,
}

pub struct NewAlert {
    pub name: String,
    pub kind: String,
    pub instrument: Instrument,
    pub operator: AlertOperator,
    pub value: Price,
    /// An ATO alert's orders (their ids and tokens filled in).
    pub basket: Option<AlertBasket>,
}

impl Triggers {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn place_gtt(&self, mut gtt: Gtt) -> i64 {
        let mut state = self.state();
        state.next_gtt += 1;
        gtt.id = state.next_gtt;
        state.gtts.insert(gtt.id, gtt);
        state.next_gtt
    }

    /// Replaces an active GTT's condition and orders.
    pub fn modify_gtt(
        &self,
        id: i64,
        kind: String,
        condition: GttCondition,
        orders: Vec<GttOrder>,
        now: &str,
    ) -> Result<(), String> {
        let mut state = self.state();
        let gtt = state
            .gtts
            .get_mut(&id)
            .ok_or_else(|| format!("Trigger {id} not found."))?;
        if gtt.status != "active" {
            return Err(format!(
                "Trigger {id} is {} and cannot be modified.",
                gtt.status
            ));
        }
        gtt.kind = kind;
        gtt.condition = condition;
        gtt.orders = orders;
        gtt.updated_at = Some(now.to_owned());
        Ok(())
    }

    pub fn delete_gtt(&self, id: i64) -> Result<(), String> {
        self.state()
            .gtts
            .remove(&id)
            .map(|_| ())
            .ok_or_else(|| format!("Trigger {id} not found."))
    }

    pub fn gtts(&self) -> Vec<Gtt> {
        self.state().gtts.values().rev().cloned().collect()
    }

    pub fn gtt(&self, id: i64) -> Option<Gtt> {
        self.state().gtts.get(&id).cloned()
    }

    /// Refused once the user has `ALERT_LIMIT` alerts.
    pub fn create_alert(&self, new: NewAlert, user_id: &str, now: &str) -> Result<Alert, String> {
        if self.state().alerts.len() >= ALERT_LIMIT {
            return Err(format!(
                "You can have at most {ALERT_LIMIT} alerts. Delete some to create new ones."
            ));
        }
        let alert = Alert {
            kind: new.kind,
            user_id: user_id.to_owned(),
            uuid: uuid::Uuid::new_v4().to_string(),
            name: new.name,
            status: "enabled".into(),
            disabled_reason: String::new(),
            lhs_attribute: "LastTradedPrice".into(),
            lhs_exchange: if new.instrument.is_tradable() {
                new.instrument.exchange.code().to_owned()
            } else {
                "INDICES".into()
            },
            lhs_tradingsymbol: new.instrument.tradingsymbol.clone(),
            operator: new.operator.to_string(),
            rhs_type: "constant".into(),
            rhs_attribute: String::new(),
            rhs_exchange: String::new(),
            rhs_tradingsymbol: String::new(),
            rhs_constant: new.value,
            alert_count: 0,
            created_at: Some(now.to_owned()),
            updated_at: Some(now.to_owned()),
            basket: new.basket,
        };
        self.state().alerts.insert(
            alert.uuid.clone(),
            AlertState {
                alert: alert.clone(),
                operator: new.operator,
                was_true: false,
                history: Vec::new(),
            },
        );
        Ok(alert)
    }

    pub fn modify_alert(&self, uuid: &str, new: NewAlert, now: &str) -> Result<Alert, String> {
        let mut state = self.state();
        let entry = state
            .alerts
            .get_mut(uuid)
            .ok_or_else(|| format!("Alert {uuid} not found."))?;
        entry.alert.name = new.name;
        entry.alert.lhs_tradingsymbol = new.instrument.tradingsymbol.clone();
        entry.alert.operator = new.operator.to_string();
        entry.alert.rhs_constant = new.value;
        entry.alert.basket = new.basket;
        entry.alert.status = "enabled".into();
        entry.alert.updated_at = Some(now.to_owned());
        entry.operator = new.operator;
        entry.was_true = false;
        Ok(entry.alert.clone())
    }

    pub fn delete_alerts(&self, uuids: &[&str]) -> Result<(), String> {
        let mut state = self.state();
        if let Some(missing) = uuids.iter().find(|u| !state.alerts.contains_key(**u)) {
            return Err(format!("Alert {missing} not found."));
        }
        for uuid in uuids {
            state.alerts.remove(*uuid);
        }
        Ok(())
    }

    pub fn alerts(&self) -> Vec<Alert> {
        self.state()
            .alerts
            .values()
            .map(|a| a.alert.clone())
            .collect()
    }

    pub fn alert(&self, uuid: &str) -> Option<Alert> {
        self.state().alerts.get(uuid).map(|a| a.alert.clone())
    }

    pub fn alert_history(&self, uuid: &str) -> Option<Vec<AlertHistoryEntry>> {
        self.state().alerts.get(uuid).map(|a| a.history.clone())
    }

    /// Fires what the new market state triggers.
    pub fn on_market(
        &self,
        market: &MarketSnapshot,
        broker: &SimBroker,
        token_of: impl Fn(&str, &str) -> Option<u32>,
        now: &str,
    ) {
        let ltp = |exchange: &str, symbol: &str| {
            let token = token_of(exchange, symbol)?;
            market
                .quote(InstrumentToken(token))
                .map(|q| (token, q.tick.last_price, q.tick.change()))
        };
        let mut state = self.state();
        for gtt in state.gtts.values_mut().filter(|g| g.status == "active") {
            let c = &gtt.condition;
            let Some((_, last, _)) = ltp(&c.exchange, &c.tradingsymbol) else {
                continue;
            };
            let leg = match (gtt.kind.as_str(), c.trigger_values.as_slice()) {
                ("single", [trigger]) => {
                    let from_below = c.last_price < *trigger;
                    let crossed = if from_below {
                        last >= *trigger
                    } else {
                        last <= *trigger
                    };
                    crossed.then_some(0)
                }
                ("two-leg", [lower, upper]) => {
                    if last <= *lower {
                        Some(0)
                    } else if last >= *upper {
                        Some(1)
                    } else {
                        None
                    }
                }
                _ => None,
            };
            let Some(leg) = leg else { continue };
            let Some(order) = gtt.orders.get(leg).cloned() else {
                continue;
            };
            let placed = place_gtt_order(broker, &order, market);
            gtt.status = "triggered".into();
            gtt.updated_at = Some(now.to_owned());
            gtt.orders[leg].result = Some(GttResult {
                timestamp: Some(now.to_owned()),
                triggered_at: Some(last),
                order_result: match placed {
                    Ok(order_id) => GttOrderResult {
                        status: "success".into(),
                        order_id,
                        rejection_reason: String::new(),
                    },
                    Err(reason) => GttOrderResult {
                        status: "failed".into(),
                        order_id: String::new(),
                        rejection_reason: reason,
                    },
                },
            });
        }
        for entry in state
            .alerts
            .values_mut()
            .filter(|a| a.alert.status == "enabled")
        {
            let a = &entry.alert;
            let exchange = if a.lhs_exchange == "INDICES" {
                "NSE"
            } else {
                a.lhs_exchange.as_str()
            };
            let Some((token, last, change)) = ltp(exchange, &a.lhs_tradingsymbol) else {
                continue;
            };
            let value = a.rhs_constant;
            let is_true = match entry.operator {
                AlertOperator::Le => last <= value,
                AlertOperator::Ge => last >= value,
                AlertOperator::Lt => last < value,
                AlertOperator::Gt => last > value,
                AlertOperator::Eq => last == value,
            };
            if is_true && !entry.was_true {
                entry.alert.alert_count += 1;
                let mut placed = Vec::new();
                if let Some(basket) = entry.alert.basket.clone() {
                    for item in &basket.items {
                        let order = GttOrder {
                            exchange: item.exchange.clone(),
                            tradingsymbol: item.tradingsymbol.clone(),
                            transaction_type: item.params.transaction_type.clone(),
                            quantity: item.params.quantity,
                            order_type: item.params.order_type.clone(),
                            product: item.params.product.clone(),
                            price: item.params.price,
                            result: None,
                        };
                        placed.push(match place_gtt_order(broker, &order, market) {
                            Ok(id) => format!("order {id} placed"),
                            Err(reason) => format!("order refused: {reason}"),
                        });
                    }
                    // An ATO alert fires once.
                    entry.alert.status = "disabled".into();
                    entry.alert.updated_at = Some(now.to_owned());
                }
                let mut condition = format!(
                    "LastTradedPrice(\"{}:{}\") {} {}",
                    entry.alert.lhs_exchange,
                    entry.alert.lhs_tradingsymbol,
                    entry.alert.operator,
                    value
                );
                if !placed.is_empty() {
                    condition = format!("{condition}; {}", placed.join("; "));
                }
                entry.history.push(AlertHistoryEntry {
                    uuid: entry.alert.uuid.clone(),
                    kind: entry.alert.kind.clone(),
                    meta: vec![AlertHistoryQuote {
                        instrument_token: token,
                        tradingsymbol: entry.alert.lhs_tradingsymbol.clone(),
                        exchange: entry.alert.lhs_exchange.clone(),
                        timestamp: Some(now.to_owned()),
                        last_price: last,
                        net_change: change.unwrap_or(Price::ZERO),
                    }],
                    condition,
                    created_at: Some(now.to_owned()),
                });
            }
            entry.was_true = is_true;
        }
    }
}

fn place_gtt_order(
    broker: &SimBroker,
    order: &GttOrder,
    market: &MarketSnapshot,
) -> Result<String, String> {
    let parse = |what: &str, e: &dyn std::fmt::Display| format!("invalid {what}: {e}");
    let mut request = OrderParams::new(
        &order.exchange,
        &order.tradingsymbol,
        order
            .transaction_type
            .parse::<TransactionType>()
            .map_err(|e| parse("transaction_type", &e))?,
        order
            .order_type
            .parse::<OrderType>()
            .map_err(|e| parse("order_type", &e))?,
        order
            .product
            .parse::<Product>()
            .map_err(|e| parse("product", &e))?,
        u32::try_from(order.quantity).map_err(|e| parse("quantity", &e))?,
    );
    request.price = Some(order.price);
    broker.place(request, market).map_err(|e| match e {
        super::broker::BrokerError::Input(m)
        | super::broker::BrokerError::Order(m)
        | super::broker::BrokerError::Margin(m) => m,
    })
}
