//! Orders and trades: the order book, an order's history, trades, and the parameters of
//! placing and modifying an order.

use osp_core::model::Price;
use serde::{Deserialize, Serialize};

use crate::common::decimal;
use crate::common::enums::{OrderType, Product, TransactionType, Validity, Variety};

/// One order as the order book and order history show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub order_id: String,
    #[serde(default)]
    pub exchange_order_id: Option<String>,
    #[serde(default)]
    pub parent_order_id: Option<String>,
    #[serde(default)]
    pub placed_by: String,
    /// `OPEN`, `COMPLETE`, `CANCELLED`, `REJECTED`, `TRIGGER PENDING`, or a transitional
    /// status such as `PUT ORDER REQ RECEIVED`.
    pub status: String,
    #[serde(default)]
    pub status_message: Option<String>,
    #[serde(default)]
    pub status_message_raw: Option<String>,
    #[serde(default)]
    pub order_timestamp: Option<String>,
    #[serde(default)]
    pub exchange_update_timestamp: Option<String>,
    #[serde(default)]
    pub exchange_timestamp: Option<String>,
    pub variety: String,
    #[serde(default)]
    pub modified: bool,
    pub exchange: String,
    pub tradingsymbol: String,
    pub instrument_token: u32,
    pub order_type: String,
    pub transaction_type: String,
    pub validity: String,
    #[serde(default)]
    pub validity_ttl: Option<u32>,
    pub product: String,
    pub quantity: i64,
    #[serde(default)]
    pub disclosed_quantity: i64,
    #[serde(with = "decimal::price", default)]
    pub price: Price,
    #[serde(with = "decimal::price", default)]
    pub trigger_price: Price,
    #[serde(with = "decimal::price", default)]
    pub average_price: Price,
    #[serde(default)]
    pub filled_quantity: i64,
    #[serde(default)]
    pub pending_quantity: i64,
    #[serde(default)]
    pub cancelled_quantity: i64,
    #[serde(with = "decimal::price", default)]
    pub market_protection: Price,
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub guid: Option<String>,
}

impl Order {
    /// Whether `tag` is the order's tag or among its tags.
    pub fn carries_tag(&self, tag: &str) -> bool {
        self.tag.as_deref() == Some(tag)
            || self
                .tags
                .as_ref()
                .is_some_and(|t| t.iter().any(|x| x == tag))
    }

    /// Whether the order can still change (fill, be modified or cancelled).
    pub fn is_open(&self) -> bool {
        matches!(
            self.status.as_str(),
            "OPEN" | "TRIGGER PENDING" | "OPEN PENDING" | "MODIFY PENDING" | "AMO REQ RECEIVED"
        )
    }
}

/// An order update pushed on the ticker (`{"type":"order","data":{…}}`) or to a postback URL:
/// an order plus what changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderUpdate {
    #[serde(flatten)]
    pub order: Order,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub unfilled_quantity: i64,
    #[serde(default)]
    pub app_id: Option<i64>,
    #[serde(default)]
    pub checksum: Option<String>,
}

/// One fill.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trade {
    pub trade_id: String,
    pub order_id: String,
    #[serde(default)]
    pub exchange_order_id: Option<String>,
    pub exchange: String,
    pub tradingsymbol: String,
    pub instrument_token: u32,
    pub product: String,
    #[serde(with = "decimal::price")]
    pub average_price: Price,
    pub quantity: i64,
    pub transaction_type: String,
    #[serde(default)]
    pub fill_timestamp: Option<String>,
    #[serde(default)]
    pub order_timestamp: Option<String>,
    #[serde(default)]
    pub exchange_timestamp: Option<String>,
}

/// `{"order_id": "…"}`: what place, modify and cancel return.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderId {
    pub order_id: String,
}

/// An order to place. The constructors fill Kite's required fields; the rest are optional.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderParams {
    pub variety: Variety,
    pub exchange: String,
    pub tradingsymbol: String,
    pub transaction_type: TransactionType,
    pub order_type: OrderType,
    pub product: Product,
    pub quantity: u32,
    pub price: Option<Price>,
    pub trigger_price: Option<Price>,
    pub validity: Validity,
    pub validity_ttl: Option<u32>,
    pub disclosed_quantity: Option<u32>,
    pub iceberg_legs: Option<u32>,
    pub iceberg_quantity: Option<u32>,
    pub market_protection: Option<i32>,
    /// Up to 20 alphanumeric characters; how an uncertain placement is found again.
    pub tag: Option<String>,
}

impl OrderParams {
    pub fn new(
        exchange: &str,
        tradingsymbol: &str,
        transaction_type: TransactionType,
        order_type: OrderType,
        product: Product,
        quantity: u32,
    ) -> Self {
        Self {
            variety: Variety::Regular,
            exchange: exchange.into(),
            tradingsymbol: tradingsymbol.into(),
            transaction_type,
            order_type,
            product,
            quantity,
            price: None,
            trigger_price: None,
            validity: Validity::Day,
            validity_ttl: None,
            disclosed_quantity: None,
            iceberg_legs: None,
            iceberg_quantity: None,
            market_protection: None,
            tag: None,
        }
    }

    /// Checks what Kite would refuse, so the refusal names the field before a request is sent.
    pub fn validate(&self) -> Result<(), String> {
        if self.quantity == 0 {
            return Err("quantity must be at least 1".into());
        }
        if self.exchange.is_empty() || self.tradingsymbol.is_empty() {
            return Err("exchange and tradingsymbol are required".into());
        }
        match self.order_type {
            OrderType::Limit if self.price.is_none() => {
                return Err("price is required for a LIMIT order".into());
            }
            OrderType::Sl if self.price.is_none() || self.trigger_price.is_none() => {
                return Err("price and trigger_price are required for an SL order".into());
            }
            OrderType::SlM if self.trigger_price.is_none() => {
                return Err("trigger_price is required for an SL-M order".into());
            }
            _ => {}
        }
        if self.validity == Validity::Ttl && self.validity_ttl.is_none() {
            return Err("validity_ttl (minutes) is required with validity TTL".into());
        }
        if self.variety == Variety::Iceberg
            && (self.iceberg_legs.is_none() || self.iceberg_quantity.is_none())
        {
            return Err("iceberg_legs and iceberg_quantity are required for an iceberg".into());
        }
        if self.variety == Variety::Co && self.trigger_price.is_none() {
            return Err("trigger_price (the stop-loss) is required for a cover order".into());
        }
        if let Some(tag) = &self.tag {
            validate_tag(tag)?;
        }
        Ok(())
    }

    /// The form body Kite expects (the variety goes in the path).
    pub fn to_form(&self) -> Vec<(&'static str, String)> {
        let mut form = vec![
            ("exchange", self.exchange.clone()),
            ("tradingsymbol", self.tradingsymbol.clone()),
            ("transaction_type", self.transaction_type.to_string()),
            ("order_type", self.order_type.to_string()),
            ("product", self.product.to_string()),
            ("quantity", self.quantity.to_string()),
            ("validity", self.validity.to_string()),
        ];
        let mut push = |key, value: Option<String>| {
            if let Some(v) = value {
                form.push((key, v));
            }
        };
        push("price", self.price.map(decimal::form_price));
        push("trigger_price", self.trigger_price.map(decimal::form_price));
        push("validity_ttl", self.validity_ttl.map(|v| v.to_string()));
        push(
            "disclosed_quantity",
            self.disclosed_quantity.map(|v| v.to_string()),
        );
        push("iceberg_legs", self.iceberg_legs.map(|v| v.to_string()));
        push(
            "iceberg_quantity",
            self.iceberg_quantity.map(|v| v.to_string()),
        );
        push(
            "market_protection",
            self.market_protection.map(|v| v.to_string()),
        );
        push("tag", self.tag.clone());
        form
    }
}

/// Kite's rule for tags: 1 to 20 characters, letters and digits.
pub fn validate_tag(tag: &str) -> Result<(), String> {
    if tag.is_empty() || tag.len() > 20 || !tag.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(format!(
            "tag '{tag}' must be 1 to 20 letters or digits (Kite's rule)"
        ));
    }
    Ok(())
}

/// What may change on an open order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModifyParams {
    pub order_type: Option<OrderType>,
    pub quantity: Option<u32>,
    pub price: Option<Price>,
    pub trigger_price: Option<Price>,
    pub validity: Option<Validity>,
    pub disclosed_quantity: Option<u32>,
}

impl ModifyParams {
    pub fn to_form(&self) -> Vec<(&'static str, String)> {
        let mut form = Vec::new();
        let mut push = |key, value: Option<String>| {
            if let Some(v) = value {
                form.push((key, v));
            }
        };
        push("order_type", self.order_type.map(|v| v.to_string()));
        push("quantity", self.quantity.map(|v| v.to_string()));
        push("price", self.price.map(decimal::form_price));
        push("trigger_price", self.trigger_price.map(decimal::form_price));
        push("validity", self.validity.map(|v| v.to_string()));
        push(
            "disclosed_quantity",
            self.disclosed_quantity.map(|v| v.to_string()),
        );
        form
    }
}
