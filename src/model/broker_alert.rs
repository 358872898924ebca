//! Alerts kept at the broker (Kite's Alerts API). They fire there, even while this app is off;
//! an ATO ("alert triggers order") alert also places its basket of orders at the broker when it
//! fires. The app keeps a copy of the broker's list (the mirror) and records each firing it
//! sees.

use serde::{Deserialize, Serialize};

use super::{
    Exchange, InstrumentToken, OrderKind, OrderRequest, OrderSide, OrderTag, Price, ProductKind,
};

/// Kite keeps at most this many alerts per user.
pub const BROKER_ALERT_LIMIT: usize = 200;
/// From this many on, the page warns that the limit is near.
pub const BROKER_ALERT_WARN_AT: usize = 180;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BrokerAlertKind {
    /// Only tells.
    Simple,
    /// Places its basket of orders at the broker when it fires.
    Ato,
}

impl BrokerAlertKind {
    pub fn label(self) -> &'static str {
        match self {
            BrokerAlertKind::Simple => "simple",
            BrokerAlertKind::Ato => "ATO",
        }
    }
}

/// Kite's comparison operators (an alert fires when the comparison turns true), spelt as
/// Kite spells them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BrokerAlertOperator {
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = "==")]
    Eq,
}

impl BrokerAlertOperator {
    pub const ALL: [BrokerAlertOperator; 5] = [
        BrokerAlertOperator::Ge,
        BrokerAlertOperator::Le,
        BrokerAlertOperator::Gt,
        BrokerAlertOperator::Lt,
        BrokerAlertOperator::Eq,
    ];

    /// Kite's spelling, also what the page shows.
    pub fn symbol(self) -> &'static str {
        match self {
            BrokerAlertOperator::Le => "<=",
            BrokerAlertOperator::Ge => ">=",
            BrokerAlertOperator::Lt => "<",
            BrokerAlertOperator::Gt => ">",
            BrokerAlertOperator::Eq => "==",
        }
    }

    pub fn from_symbol(text: &str) -> Option<BrokerAlertOperator> {
        Self::ALL.into_iter().find(|o| o.symbol() == text.trim())
    }
}

/// How one basket order is priced (Kite's ATO takes market and limit orders).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AtoPricing {
    Market,
    Limit { price: Price },
}

/// One order of an ATO alert's basket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtoOrder {
    pub exchange: Exchange,
    pub tradingsymbol: String,
    pub side: OrderSide,
    pub quantity: u32,
    pub pricing: AtoPricing,
    pub product: ProductKind,
}

impl AtoOrder {
    /// The order the broker will place when the alert fires, as the app's own order would be
    /// (for the risk gate). Kite tags it itself, so it carries the tag `ato`.
    pub fn request(&self) -> OrderRequest {
        OrderRequest {
            exchange: self.exchange,
            tradingsymbol: self.tradingsymbol.clone(),
            side: self.side,
            quantity: self.quantity,
            kind: match self.pricing {
                AtoPricing::Market => OrderKind::Market,
                AtoPricing::Limit { price } => OrderKind::Limit { price },
            },
            product: self.product,
            tag: OrderTag::parse("ato").unwrap_or_else(|_| unreachable!("a valid tag")),
        }
    }

    /// "BUY 10 INFY LIMIT ₹1,499.00 (CNC)".
    pub fn summary(&self) -> String {
        let side = match self.side {
            OrderSide::Buy => "BUY",
            OrderSide::Sell => "SELL",
        };
        let pricing = match self.pricing {
            AtoPricing::Market => "MARKET".to_owned(),
            AtoPricing::Limit { price } => format!("LIMIT {}", price.format_inr()),
        };
        let product = match self.product {
            ProductKind::Intraday => "MIS",
            ProductKind::Delivery => "CNC",
            ProductKind::CarryForward => "NRML",
        };
        format!(
            "{side} {} {} {pricing} ({product})",
            self.quantity, self.tradingsymbol
        )
    }
}

/// The alert a person asks the broker to keep: last price of an instrument against a constant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerAlertSpec {
    pub name: String,
    pub token: InstrumentToken,
    pub exchange: Exchange,
    pub tradingsymbol: String,
    /// An index (Kite files it under the `INDICES` exchange); it has no orders.
    pub index: bool,
    pub operator: BrokerAlertOperator,
    pub value: Price,
}

impl BrokerAlertSpec {
    /// `NSE:INFY >= ₹1,500.00`.
    pub fn condition_text(&self) -> String {
        format!(
            "{}:{} {} {}",
            self.exchange.code(),
            self.tradingsymbol,
            self.operator.symbol(),
            self.value.format_inr()
        )
    }
}

/// An ATO alert: the alert and the orders it places when it fires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtoSpec {
    pub alert: BrokerAlertSpec,
    pub basket: Vec<AtoOrder>,
}

/// An alert as the broker holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerAlert {
    /// The broker's id (Kite's uuid).
    pub id: String,
    pub name: String,
    pub kind: BrokerAlertKind,
    pub enabled: bool,
    /// Why the broker disabled it, if it says.
    pub disabled_reason: String,
    /// How often it fired, by the broker's count.
    pub fired_count: u32,
    /// The condition as a person reads it.
    pub condition: String,
    /// The basket's orders, as a person reads them.
    pub basket: Vec<String>,
    /// The alert as this app can edit it; `None` for one made elsewhere with a condition or
    /// orders this app does not make (another attribute, an instrument on the right-hand side,
    /// a stop-loss order, an instrument not in the catalog): shown and deletable, not editable.
    pub spec: Option<BrokerAlertSpec>,
    /// The basket as this app can edit it (ATO alerts whose orders it can make).
    pub orders: Option<Vec<AtoOrder>>,
    /// When the broker last changed it, in its own words.
    pub updated_at: Option<String>,
}

/// One firing, as the broker's history tells it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerAlertHistoryEntry {
    /// When, in the broker's words (Kite: IST, `2025-05-26 12:09:26`).
    pub at: Option<String>,
    pub condition: String,
    /// `NSE:INFY ₹1,501.20`, for each instrument involved.
    pub quotes: Vec<String>,
}

/// A firing this app saw (the broker's count went up) and recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerAlertFiring {
    pub alert_id: String,
    /// The broker's count this firing brought it to: one firing is recorded once.
    pub seq: u32,
    pub name: String,
    pub text: String,
    /// When this app learned of it.
    pub recorded_ms: i64,
}

/// The mirror of the broker's list and how fresh it is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerAlertMirror {
    pub alerts: Vec<BrokerAlert>,
    /// When the list was last read from the broker (`None`: never).
    pub synced_ms: Option<i64>,
    /// Why the last read failed, if it did.
    pub error: Option<String>,
}

/// An ATO alert the kill switch took out of the broker's hands: deleted at the broker (which
/// has no way to pause one) and kept here as it was, to be put back at the broker only by a
/// deliberate act once the switch is released. Kept under the broker's old id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuspendedBrokerAlert {
    pub alert: BrokerAlert,
    /// When the kill switch took it.
    pub suspended_ms: i64,
}

impl SuspendedBrokerAlert {
    /// The alert with its basket as this app makes it again, if it can (an alert made
    /// elsewhere, with a condition or orders this app does not make, is never suspended).
    pub fn ato_spec(&self) -> Option<AtoSpec> {
        Some(AtoSpec {
            alert: self.alert.spec.clone()?,
            basket: self.alert.orders.clone()?,
        })
    }
}
