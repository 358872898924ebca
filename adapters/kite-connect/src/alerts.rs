//! The core's `BrokerAlerts` and `BrokerOrderAlerts` ports over Kite's Alerts API. `KiteAlerts`
//! makes alerts that only tell; `KiteOrderAlerts` makes ATO alerts, which place their basket
//! of orders at Kite when they fire — the venue builds one only in the modes that send orders
//! to Kite (never in paper mode). Kite's spellings stop here: an alert is read into domain
//! terms with the catalog (an index is Kite's `INDICES` exchange), and one this app cannot
//! edit (another attribute, an instrument on the right, a stop-loss order) is shown as text.

use std::sync::Arc;

use async_trait::async_trait;
use osp_core::model::{
    AtoOrder, AtoPricing, AtoSpec, BrokerAlert, BrokerAlertHistoryEntry, BrokerAlertKind,
    BrokerAlertOperator, BrokerAlertSpec, Exchange, Price,
};
use osp_core::ports::{BrokerAlerts, BrokerError, BrokerOrderAlerts};
use osp_core::services::instruments::InstrumentCatalog;
use serde::Serialize;

use super::broker::{domain_error, domain_product, domain_side, kite_product, kite_side};
use super::common::decimal;
use super::common::enums::{AlertOperator, AlertType, OrderType, Product, TransactionType};
use super::http::KiteClient;
use super::http::models::{Alert, AlertBasketItem, AlertHistoryEntry, AlertParams};

/// Kite's exchange for an alert on an index.
const INDICES: &str = "INDICES";

pub struct KiteAlerts {
    client: Arc<KiteClient>,
    catalog: Arc<InstrumentCatalog>,
}

impl KiteAlerts {
    pub fn new(client: Arc<KiteClient>, catalog: Arc<InstrumentCatalog>) -> Self {
        Self { client, catalog }
    }

    /// A Kite alert in domain terms.
    pub fn domain(&self, alert: Alert) -> BrokerAlert {
        domain_alert(alert, &self.catalog)
    }
}

/// Alerts that place orders at Kite. Built by the venue only where orders go to Kite.
pub struct KiteOrderAlerts {
    alerts: Arc<KiteAlerts>,
}

impl KiteOrderAlerts {
    pub fn new(alerts: Arc<KiteAlerts>) -> Self {
        Self { alerts }
    }
}

fn operator(op: BrokerAlertOperator) -> AlertOperator {
    match op {
        BrokerAlertOperator::Le => AlertOperator::Le,
        BrokerAlertOperator::Ge => AlertOperator::Ge,
        BrokerAlertOperator::Lt => AlertOperator::Lt,
        BrokerAlertOperator::Gt => AlertOperator::Gt,
        BrokerAlertOperator::Eq => AlertOperator::Eq,
    }
}

fn params(spec: &BrokerAlertSpec, kind: AlertType, basket_json: Option<String>) -> AlertParams {
    AlertParams {
        name: spec.name.clone(),
        kind,
        exchange: if spec.index {
            INDICES.to_owned()
        } else {
            spec.exchange.code().to_owned()
        },
        tradingsymbol: spec.tradingsymbol.clone(),
        operator: operator(spec.operator),
        value: spec.value,
        basket_json,
    }
}

/// The basket as Kite's `basket` form field takes it (JSON text).
#[derive(Serialize)]
struct BasketOut<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    tags: [&'static str; 0],
    items: Vec<ItemOut<'a>>,
}

#[derive(Serialize)]
struct ItemOut<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    tradingsymbol: &'a str,
    exchange: &'static str,
    weight: i64,
    params: ItemParams,
}

#[derive(Serialize)]
struct ItemParams {
    transaction_type: TransactionType,
    product: Product,
    order_type: OrderType,
    validity: &'static str,
    validity_ttl: i64,
    quantity: u32,
    #[serde(with = "decimal::price")]
    price: Price,
    #[serde(with = "decimal::price")]
    trigger_price: Price,
    disclosed_quantity: i64,
    #[serde(with = "decimal::price")]
    last_price: Price,
    variety: &'static str,
    tags: [&'static str; 0],
    squareoff: i64,
    stoploss: i64,
    trailing_stoploss: i64,
    iceberg_legs: i64,
    market_protection: i64,
}

fn basket_json(spec: &AtoSpec) -> Result<String, BrokerError> {
    let items = spec
        .basket
        .iter()
        .map(|order| {
            let (order_type, price) = match order.pricing {
                AtoPricing::Market => (OrderType::Market, Price::ZERO),
                AtoPricing::Limit { price } => (OrderType::Limit, price),
            };
            ItemOut {
                kind: "",
                tradingsymbol: &order.tradingsymbol,
                exchange: order.exchange.code(),
                weight: 0,
                params: ItemParams {
                    transaction_type: kite_side(order.side),
                    product: kite_product(order.product),
                    order_type,
                    validity: "DAY",
                    validity_ttl: 1,
                    quantity: order.quantity,
                    price,
                    trigger_price: Price::ZERO,
                    disclosed_quantity: 0,
                    last_price: Price::ZERO,
                    variety: "regular",
                    tags: [],
                    squareoff: 0,
                    stoploss: 0,
                    trailing_stoploss: 0,
                    iceberg_legs: 0,
                    market_protection: 0,
                },
            }
        })
        .collect();
    serde_json::to_string(&BasketOut {
        name: &spec.alert.name,
        kind: "alert",
        tags: [],
        items,
    })
    .map_err(|e| BrokerError {
        kind: osp_core::ports::BrokerErrorKind::Rejected,
        message: format!("the basket could not be encoded: {e}"),
    })
}

/// One basket item in domain terms; `None` for an order this app does not make.
fn domain_order(item: &AlertBasketItem) -> Option<AtoOrder> {
    let p = &item.params;
    Some(AtoOrder {
        exchange: item.exchange.parse::<Exchange>().ok()?,
        tradingsymbol: item.tradingsymbol.clone(),
        side: domain_side(p.transaction_type.parse::<TransactionType>().ok()?),
        quantity: u32::try_from(p.quantity).ok().filter(|q| *q > 0)?,
        pricing: match p.order_type.parse::<OrderType>().ok()? {
            OrderType::Market => AtoPricing::Market,
            OrderType::Limit => AtoPricing::Limit { price: p.price },
            OrderType::Sl | OrderType::SlM => return None,
        },
        product: domain_product(p.product.parse::<Product>().ok()?)?,
    })
}

fn order_text(item: &AlertBasketItem) -> String {
    match domain_order(item) {
        Some(order) => order.summary(),
        None => {
            let p = &item.params;
            format!(
                "{} {} {} {} {} ({})",
                p.transaction_type,
                p.quantity,
                item.tradingsymbol,
                p.order_type,
                p.price.format_inr(),
                p.product
            )
        }
    }
}

fn domain_alert(alert: Alert, catalog: &InstrumentCatalog) -> BrokerAlert {
    let kind = if alert.kind == "ato" {
        BrokerAlertKind::Ato
    } else {
        BrokerAlertKind::Simple
    };
    let lhs = format!("{}:{}", alert.lhs_exchange, alert.lhs_tradingsymbol);
    let lhs = if alert.lhs_attribute == "LastTradedPrice" {
        lhs
    } else {
        format!("{}({lhs})", alert.lhs_attribute)
    };
    let rhs = if alert.rhs_type == "constant" {
        alert.rhs_constant.format_inr()
    } else {
        format!(
            "{}({}:{})",
            alert.rhs_attribute, alert.rhs_exchange, alert.rhs_tradingsymbol
        )
    };
    let condition = format!("{lhs} {} {rhs}", alert.operator);
    let op = BrokerAlertOperator::from_symbol(&alert.operator);
    let instrument = if alert.lhs_exchange == INDICES {
        [Exchange::Nse, Exchange::Bse]
            .into_iter()
            .find_map(|e| catalog.find(e, &alert.lhs_tradingsymbol))
            .filter(|i| !i.is_tradable())
    } else {
        alert
            .lhs_exchange
            .parse::<Exchange>()
            .ok()
            .and_then(|e| catalog.find(e, &alert.lhs_tradingsymbol))
    };
    let spec = match (op, instrument) {
        (Some(operator), Some(instrument))
            if alert.lhs_attribute == "LastTradedPrice" && alert.rhs_type == "constant" =>
        {
            Some(BrokerAlertSpec {
                name: alert.name.clone(),
                token: instrument.token,
                exchange: instrument.exchange,
                tradingsymbol: instrument.tradingsymbol.clone(),
                index: !instrument.is_tradable(),
                operator,
                value: alert.rhs_constant,
            })
        }
        _ => None,
    };
    let items = alert
        .basket
        .as_ref()
        .map(|b| b.items.as_slice())
        .unwrap_or_default();
    let orders = match kind {
        BrokerAlertKind::Simple => None,
        BrokerAlertKind::Ato => items.iter().map(domain_order).collect::<Option<Vec<_>>>(),
    };
    BrokerAlert {
        enabled: alert.status == "enabled",
        disabled_reason: alert.disabled_reason,
        fired_count: u32::try_from(alert.alert_count).unwrap_or(0),
        condition,
        basket: items.iter().map(order_text).collect(),
        spec,
        orders,
        updated_at: alert.updated_at,
        id: alert.uuid,
        name: alert.name,
        kind,
    }
}

fn domain_history(entry: AlertHistoryEntry) -> BrokerAlertHistoryEntry {
    BrokerAlertHistoryEntry {
        at: entry.created_at,
        condition: entry.condition,
        quotes: entry
            .meta
            .iter()
            .map(|q| {
                format!(
                    "{}:{} {}",
                    q.exchange,
                    q.tradingsymbol,
                    q.last_price.format_inr()
                )
            })
            .collect(),
    }
}

#[async_trait]
impl BrokerAlerts for KiteAlerts {
    async fn list(&self) -> Result<Vec<BrokerAlert>, BrokerError> {
        let alerts = self.client.alerts().await.map_err(domain_error)?;
        Ok(alerts.into_iter().map(|a| self.domain(a)).collect())
    }

    async fn create(&self, spec: &BrokerAlertSpec) -> Result<BrokerAlert, BrokerError> {
        let alert = self
            .client
            .create_alert(&params(spec, AlertType::Simple, None))
            .await
            .map_err(domain_error)?;
        Ok(self.domain(alert))
    }

    async fn modify(&self, id: &str, spec: &BrokerAlertSpec) -> Result<BrokerAlert, BrokerError> {
        let alert = self
            .client
            .modify_alert(id, &params(spec, AlertType::Simple, None))
            .await
            .map_err(domain_error)?;
        Ok(self.domain(alert))
    }

    async fn delete(&self, id: &str) -> Result<(), BrokerError> {
        self.client.delete_alerts(&[id]).await.map_err(domain_error)
    }

    async fn history(&self, id: &str) -> Result<Vec<BrokerAlertHistoryEntry>, BrokerError> {
        let entries = self.client.alert_history(id).await.map_err(domain_error)?;
        Ok(entries.into_iter().map(domain_history).collect())
    }
}

#[async_trait]
impl BrokerOrderAlerts for KiteOrderAlerts {
    async fn create_ato(&self, spec: &AtoSpec) -> Result<BrokerAlert, BrokerError> {
        let form = params(&spec.alert, AlertType::Ato, Some(basket_json(spec)?));
        let alert = self
            .alerts
            .client
            .create_alert(&form)
            .await
            .map_err(domain_error)?;
        Ok(self.alerts.domain(alert))
    }

    async fn modify_ato(&self, id: &str, spec: &AtoSpec) -> Result<BrokerAlert, BrokerError> {
        let form = params(&spec.alert, AlertType::Ato, Some(basket_json(spec)?));
        let alert = self
            .alerts
            .client
            .modify_alert(id, &form)
            .await
            .map_err(domain_error)?;
        Ok(self.alerts.domain(alert))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::models::AlertBasket;
    use osp_core::model::{OrderSide, ProductKind};

    fn fixture_alerts() -> Vec<Alert> {
        let text = include_str!("../tests/fixtures/alerts_get.json");
        let envelope: serde_json::Value = serde_json::from_str(text).unwrap();
        serde_json::from_value(envelope["data"].clone()).unwrap()
    }

    #[test]
    fn kites_published_alerts_read_into_domain_terms() {
        let catalog = InstrumentCatalog::default();
        let alerts: Vec<BrokerAlert> = fixture_alerts()
            .into_iter()
            .map(|a| domain_alert(a, &catalog))
            .collect();
        assert_eq!(alerts[0].kind, BrokerAlertKind::Simple);
        assert!(alerts[0].enabled);
        assert_eq!(alerts[0].condition, "INDICES:NIFTY 50 >= ₹27,000.00");
        // Not in this (empty) catalog: shown, not editable.
        assert_eq!(alerts[0].spec, None);
        let gold = &alerts[1];
        assert_eq!(gold.kind, BrokerAlertKind::Ato);
        assert!(!gold.enabled);
        assert_eq!(gold.fired_count, 1);
        assert_eq!(gold.basket, vec!["BUY 10000 GOLDBEES LIMIT ₹72.22 (CNC)"]);
        assert_eq!(
            gold.orders.as_deref().map(<[AtoOrder]>::len),
            Some(1),
            "a LIMIT CNC order is one this app makes"
        );
    }

    #[test]
    fn the_basket_sent_reads_back_as_the_same_orders() {
        let spec = AtoSpec {
            alert: BrokerAlertSpec {
                name: "buy the dip".into(),
                token: osp_core::model::InstrumentToken(408065),
                exchange: Exchange::Nse,
                tradingsymbol: "INFY".into(),
                index: false,
                operator: BrokerAlertOperator::Le,
                value: Price::parse("1400").unwrap(),
            },
            basket: vec![
                AtoOrder {
                    exchange: Exchange::Nse,
                    tradingsymbol: "INFY".into(),
                    side: OrderSide::Buy,
                    quantity: 5,
                    pricing: AtoPricing::Limit {
                        price: Price::parse("1399.5").unwrap(),
                    },
                    product: ProductKind::Delivery,
                },
                AtoOrder {
                    exchange: Exchange::Nse,
                    tradingsymbol: "INFY".into(),
                    side: OrderSide::Sell,
                    quantity: 1,
                    pricing: AtoPricing::Market,
                    product: ProductKind::Intraday,
                },
            ],
        };
        let json = basket_json(&spec).unwrap();
        let basket: AlertBasket = serde_json::from_str(&json).unwrap();
        let orders: Vec<AtoOrder> = basket
            .items
            .iter()
            .map(|i| domain_order(i).unwrap())
            .collect();
        assert_eq!(orders, spec.basket);
    }
}
