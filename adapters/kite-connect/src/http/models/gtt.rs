//! GTT (good-till-triggered) orders: `/gtt/triggers`.

use osp_core::model::Price;
use serde::{Deserialize, Serialize};

use crate::common::decimal;
use crate::common::enums::GttType;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gtt {
    pub id: i64,
    #[serde(default)]
    pub user_id: String,
    #[serde(default)]
    pub parent_trigger: Option<i64>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub expires_at: Option<String>,
    /// `active`, `triggered`, `disabled`, `expired`, `cancelled`, `rejected`, `deleted`.
    pub status: String,
    pub condition: GttCondition,
    pub orders: Vec<GttOrder>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GttCondition {
    pub exchange: String,
    pub tradingsymbol: String,
    #[serde(default)]
    pub instrument_token: u32,
    #[serde(with = "decimal::price")]
    pub last_price: Price,
    #[serde(with = "decimal::prices")]
    pub trigger_values: Vec<Price>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GttOrder {
    pub exchange: String,
    pub tradingsymbol: String,
    pub product: String,
    pub order_type: String,
    pub transaction_type: String,
    pub quantity: i64,
    #[serde(with = "decimal::price")]
    pub price: Price,
    #[serde(default)]
    pub result: Option<GttResult>,
}

/// What happened when a GTT fired.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GttResult {
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(with = "decimal::opt_price", default)]
    pub triggered_at: Option<Price>,
    pub order_result: GttOrderResult,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GttOrderResult {
    pub status: String,
    #[serde(default)]
    pub order_id: String,
    #[serde(default)]
    pub rejection_reason: String,
}

/// `{"trigger_id": 123}`: what place, modify and delete return.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerId {
    pub trigger_id: i64,
}

/// A GTT to place or the new state of one being modified.
#[derive(Clone, Debug, PartialEq)]
pub struct GttParams {
    pub kind: GttType,
    pub exchange: String,
    pub tradingsymbol: String,
    pub instrument_token: u32,
    pub last_price: Price,
    pub trigger_values: Vec<Price>,
    pub orders: Vec<GttOrder>,
}

impl GttParams {
    pub fn validate(&self) -> Result<(), String> {
        let wanted = match self.kind {
            GttType::Single => 1,
            GttType::TwoLeg => 2,
        };
        if self.trigger_values.len() != wanted || self.orders.len() != wanted {
            return Err(format!(
                "a {} GTT needs {wanted} trigger value(s) and {wanted} order(s)",
                self.kind
            ));
        }
        if self.kind == GttType::TwoLeg && self.trigger_values[0] >= self.trigger_values[1] {
            return Err("a two-leg GTT's stop-loss trigger must be below its target".into());
        }
        Ok(())
    }

    /// Kite takes `type`, and `condition` and `orders` as JSON text, in a form body.
    pub fn to_form(&self) -> Vec<(&'static str, String)> {
        let condition = serde_json::json!({
            "exchange": self.exchange,
            "tradingsymbol": self.tradingsymbol,
            "instrument_token": self.instrument_token,
            "trigger_values": self.trigger_values.iter().map(|p| decimal::Number(*p)).collect::<Vec<_>>(),
            "last_price": decimal::Number(self.last_price),
        });
        let orders: Vec<_> = self
            .orders
            .iter()
            .map(|o| {
                serde_json::json!({
                    "exchange": o.exchange,
                    "tradingsymbol": o.tradingsymbol,
                    "transaction_type": o.transaction_type,
                    "quantity": o.quantity,
                    "order_type": o.order_type,
                    "product": o.product,
                    "price": decimal::Number(o.price),
                })
            })
            .collect();
        vec![
            ("type", self.kind.to_string()),
            ("condition", condition.to_string()),
            ("orders", serde_json::Value::from(orders).to_string()),
        ]
    }
}
