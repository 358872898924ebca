//! Kite's Alerts API (`/alerts`): simple alerts and ATO (alert-triggers-order) alerts.

use osp_core::model::Price;
use serde::{Deserialize, Serialize};

use crate::common::decimal;
use crate::common::enums::{AlertOperator, AlertType};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub user_id: String,
    pub uuid: String,
    pub name: String,
    /// `enabled` or `disabled`.
    pub status: String,
    #[serde(default)]
    pub disabled_reason: String,
    pub lhs_attribute: String,
    pub lhs_exchange: String,
    pub lhs_tradingsymbol: String,
    pub operator: String,
    pub rhs_type: String,
    #[serde(default)]
    pub rhs_attribute: String,
    #[serde(default)]
    pub rhs_exchange: String,
    #[serde(default)]
    pub rhs_tradingsymbol: String,
    #[serde(with = "decimal::price", default)]
    pub rhs_constant: Price,
    #[serde(default)]
    pub alert_count: i64,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    /// The orders an ATO alert places.
    #[serde(default)]
    pub basket: Option<AlertBasket>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertBasket {
    pub items: Vec<AlertBasketItem>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertBasketItem {
    #[serde(default)]
    pub id: i64,
    pub tradingsymbol: String,
    pub exchange: String,
    #[serde(default)]
    pub instrument_token: u32,
    #[serde(default)]
    pub weight: i64,
    pub params: AlertOrderParams,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertOrderParams {
    pub variety: String,
    pub product: String,
    pub order_type: String,
    pub transaction_type: String,
    pub quantity: i64,
    #[serde(with = "decimal::price", default)]
    pub price: Price,
    #[serde(with = "decimal::price", default)]
    pub trigger_price: Price,
    #[serde(default)]
    pub validity: String,
}

/// One firing of an alert, with the market as it was.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertHistoryEntry {
    pub uuid: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub meta: Vec<AlertHistoryQuote>,
    pub condition: String,
    #[serde(default)]
    pub created_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertHistoryQuote {
    pub instrument_token: u32,
    pub tradingsymbol: String,
    pub exchange: String,
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(with = "decimal::price")]
    pub last_price: Price,
    #[serde(with = "decimal::price", default)]
    pub net_change: Price,
}

/// A simple alert on a constant: `lhs operator constant`.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertParams {
    pub name: String,
    pub kind: AlertType,
    pub exchange: String,
    pub tradingsymbol: String,
    pub operator: AlertOperator,
    pub value: Price,
    /// For ATO alerts: the basket as Kite's JSON text.
    pub basket_json: Option<String>,
}

impl AlertParams {
    pub fn validate(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("an alert needs a name".into());
        }
        if self.kind == AlertType::Ato && self.basket_json.is_none() {
            return Err("an ATO alert needs a basket of orders".into());
        }
        Ok(())
    }

    pub fn to_form(&self) -> Vec<(&'static str, String)> {
        let mut form = vec![
            ("name", self.name.clone()),
            ("type", self.kind.to_string()),
            ("lhs_attribute", "LastTradedPrice".into()),
            ("lhs_exchange", self.exchange.clone()),
            ("lhs_tradingsymbol", self.tradingsymbol.clone()),
            ("operator", self.operator.to_string()),
            ("rhs_type", "constant".into()),
            ("rhs_constant", decimal::form_price(self.value)),
        ];
        if let Some(basket) = &self.basket_json {
            form.push(("basket", basket.clone()));
        }
        form
    }
}
