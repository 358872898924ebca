//! Funds and margins: `GET /user/margins[/segment]`, `POST /margins/orders`.

use osp_core::model::Price;
use serde::{Deserialize, Serialize};

use crate::common::decimal;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Margins {
    #[serde(default)]
    pub equity: Option<SegmentMargin>,
    #[serde(default)]
    pub commodity: Option<SegmentMargin>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentMargin {
    pub enabled: bool,
    #[serde(with = "decimal::price")]
    pub net: Price,
    pub available: AvailableMargin,
    pub utilised: UtilisedMargin,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AvailableMargin {
    #[serde(with = "decimal::price")]
    pub adhoc_margin: Price,
    #[serde(with = "decimal::price")]
    pub cash: Price,
    #[serde(with = "decimal::price")]
    pub opening_balance: Price,
    #[serde(with = "decimal::price")]
    pub live_balance: Price,
    #[serde(with = "decimal::price")]
    pub collateral: Price,
    #[serde(with = "decimal::price")]
    pub intraday_payin: Price,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UtilisedMargin {
    #[serde(with = "decimal::price")]
    pub debits: Price,
    #[serde(with = "decimal::price")]
    pub exposure: Price,
    #[serde(with = "decimal::price")]
    pub m2m_realised: Price,
    #[serde(with = "decimal::price")]
    pub m2m_unrealised: Price,
    #[serde(with = "decimal::price")]
    pub option_premium: Price,
    #[serde(with = "decimal::price")]
    pub payout: Price,
    #[serde(with = "decimal::price")]
    pub span: Price,
    #[serde(with = "decimal::price")]
    pub holding_sales: Price,
    #[serde(with = "decimal::price")]
    pub turnover: Price,
    #[serde(with = "decimal::price", default)]
    pub liquid_collateral: Price,
    #[serde(with = "decimal::price", default)]
    pub stock_collateral: Price,
    #[serde(with = "decimal::price", default)]
    pub delivery: Price,
}

/// One order of a margin calculation request (`POST /margins/orders`, JSON body).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarginOrder {
    pub exchange: String,
    pub tradingsymbol: String,
    pub transaction_type: String,
    pub variety: String,
    pub product: String,
    pub order_type: String,
    pub quantity: i64,
    #[serde(with = "decimal::price", default)]
    pub price: Price,
    #[serde(with = "decimal::price", default)]
    pub trigger_price: Price,
}

/// The margin an order needs, with its charges.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderMargin {
    #[serde(rename = "type")]
    pub kind: String,
    pub tradingsymbol: String,
    pub exchange: String,
    #[serde(with = "decimal::price")]
    pub span: Price,
    #[serde(with = "decimal::price")]
    pub exposure: Price,
    #[serde(with = "decimal::price")]
    pub option_premium: Price,
    #[serde(with = "decimal::price")]
    pub additional: Price,
    #[serde(with = "decimal::price")]
    pub bo: Price,
    #[serde(with = "decimal::price")]
    pub cash: Price,
    #[serde(with = "decimal::price")]
    pub var: Price,
    pub pnl: MarginPnl,
    #[serde(with = "decimal::price", default)]
    pub leverage: Price,
    pub charges: Charges,
    #[serde(with = "decimal::price")]
    pub total: Price,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarginPnl {
    #[serde(with = "decimal::price")]
    pub realised: Price,
    #[serde(with = "decimal::price")]
    pub unrealised: Price,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Charges {
    #[serde(with = "decimal::price")]
    pub transaction_tax: Price,
    #[serde(default)]
    pub transaction_tax_type: String,
    #[serde(with = "decimal::price")]
    pub exchange_turnover_charge: Price,
    #[serde(with = "decimal::price")]
    pub sebi_turnover_charge: Price,
    #[serde(with = "decimal::price")]
    pub brokerage: Price,
    #[serde(with = "decimal::price")]
    pub stamp_duty: Price,
    pub gst: Gst,
    #[serde(with = "decimal::price")]
    pub total: Price,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gst {
    #[serde(with = "decimal::price")]
    pub igst: Price,
    #[serde(with = "decimal::price")]
    pub cgst: Price,
    #[serde(with = "decimal::price")]
    pub sgst: Price,
    #[serde(with = "decimal::price")]
    pub total: Price,
}

/// `POST /margins/basket`: the margin of a basket before and after netting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BasketMargins {
    pub initial: OrderMargin,
    #[serde(rename = "final")]
    pub final_: OrderMargin,
    pub orders: Vec<OrderMargin>,
}
