//! Positions and holdings: `GET /portfolio/positions`, `GET /portfolio/holdings`,
//! `PUT /portfolio/positions` (convert).

use osp_core::model::Price;
use serde::{Deserialize, Serialize};

use crate::common::decimal;
use crate::common::enums::{PositionType, Product, TransactionType};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Positions {
    pub net: Vec<Position>,
    pub day: Vec<Position>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub tradingsymbol: String,
    pub exchange: String,
    pub instrument_token: u32,
    pub product: String,
    pub quantity: i64,
    #[serde(default)]
    pub overnight_quantity: i64,
    #[serde(default = "one")]
    pub multiplier: i64,
    #[serde(with = "decimal::price")]
    pub average_price: Price,
    #[serde(with = "decimal::price")]
    pub close_price: Price,
    #[serde(with = "decimal::price")]
    pub last_price: Price,
    #[serde(with = "decimal::price")]
    pub value: Price,
    #[serde(with = "decimal::price")]
    pub pnl: Price,
    #[serde(with = "decimal::price")]
    pub m2m: Price,
    #[serde(with = "decimal::price")]
    pub unrealised: Price,
    #[serde(with = "decimal::price")]
    pub realised: Price,
    pub buy_quantity: i64,
    #[serde(with = "decimal::price")]
    pub buy_price: Price,
    #[serde(with = "decimal::price")]
    pub buy_value: Price,
    #[serde(with = "decimal::price", default)]
    pub buy_m2m: Price,
    pub sell_quantity: i64,
    #[serde(with = "decimal::price")]
    pub sell_price: Price,
    #[serde(with = "decimal::price")]
    pub sell_value: Price,
    #[serde(with = "decimal::price", default)]
    pub sell_m2m: Price,
    #[serde(default)]
    pub day_buy_quantity: i64,
    #[serde(with = "decimal::price", default)]
    pub day_buy_price: Price,
    #[serde(with = "decimal::price", default)]
    pub day_buy_value: Price,
    #[serde(default)]
    pub day_sell_quantity: i64,
    #[serde(with = "decimal::price", default)]
    pub day_sell_price: Price,
    #[serde(with = "decimal::price", default)]
    pub day_sell_value: Price,
}

fn one() -> i64 {
    1
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Holding {
    pub tradingsymbol: String,
    pub exchange: String,
    pub instrument_token: u32,
    #[serde(default)]
    pub isin: String,
    pub product: String,
    #[serde(with = "decimal::price", default)]
    pub price: Price,
    pub quantity: i64,
    #[serde(default)]
    pub used_quantity: i64,
    #[serde(default)]
    pub t1_quantity: i64,
    #[serde(default)]
    pub realised_quantity: i64,
    #[serde(default)]
    pub authorised_quantity: i64,
    #[serde(default)]
    pub opening_quantity: i64,
    #[serde(default)]
    pub collateral_quantity: i64,
    #[serde(default)]
    pub collateral_type: String,
    #[serde(default)]
    pub discrepancy: bool,
    #[serde(with = "decimal::price")]
    pub average_price: Price,
    #[serde(with = "decimal::price")]
    pub last_price: Price,
    #[serde(with = "decimal::price")]
    pub close_price: Price,
    #[serde(with = "decimal::price")]
    pub pnl: Price,
    #[serde(with = "decimal::price")]
    pub day_change: Price,
}

/// `PUT /portfolio/positions`: move a position between products (MIS ↔ CNC/NRML).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvertPosition {
    pub exchange: String,
    pub tradingsymbol: String,
    pub transaction_type: TransactionType,
    pub position_type: PositionType,
    pub quantity: u32,
    pub old_product: Product,
    pub new_product: Product,
}

impl ConvertPosition {
    pub fn to_form(&self) -> Vec<(&'static str, String)> {
        vec![
            ("exchange", self.exchange.clone()),
            ("tradingsymbol", self.tradingsymbol.clone()),
            ("transaction_type", self.transaction_type.to_string()),
            ("position_type", self.position_type.to_string()),
            ("quantity", self.quantity.to_string()),
            ("old_product", self.old_product.to_string()),
            ("new_product", self.new_product.to_string()),
        ]
    }
}
