//! `BrokerStatement`: the account as the broker reports it besides its positions — funds and
//! margins per segment, holdings, today's order book and trade book (every order, however it
//! was placed) — in domain terms, for the Account page.

use serde::{Deserialize, Serialize};

use super::{Exchange, OrderSide, Price};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerStatement {
    pub funds: Vec<SegmentFunds>,
    pub holdings: Vec<HeldStock>,
    /// Today's orders, oldest first.
    pub orders: Vec<BookOrder>,
    /// Today's fills, oldest first.
    pub trades: Vec<BookFill>,
}

/// One segment's funds and what its positions use, as Kite's margins report them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentFunds {
    /// `equity` or `commodity`.
    pub segment: String,
    /// What is left to trade with.
    pub available: Price,
    pub opening_balance: Price,
    /// All that positions and orders use.
    pub used: Price,
    pub span: Price,
    pub exposure: Price,
    pub option_premium: Price,
}

/// A delivery holding (settled, or bought yesterday and settling: `t1_quantity`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldStock {
    pub exchange: Exchange,
    pub tradingsymbol: String,
    pub quantity: i64,
    pub t1_quantity: i64,
    pub average_price: Price,
    pub last_price: Price,
    pub pnl: Price,
}

/// One order in the broker's book, as the trader reads it there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookOrder {
    pub order_id: String,
    /// The broker's time of the order, as it writes it (IST for Kite).
    pub placed_at: String,
    pub exchange: Exchange,
    pub tradingsymbol: String,
    pub side: OrderSide,
    /// The broker's order type and product (MARKET, LIMIT, SL, SL-M; MIS, CNC, NRML).
    pub order_type: String,
    pub product: String,
    pub quantity: u32,
    pub filled_quantity: u32,
    pub price: Price,
    pub trigger_price: Price,
    pub average_price: Price,
    /// The broker's status (OPEN, COMPLETE, …) and its message.
    pub status: String,
    pub status_message: Option<String>,
    pub tag: Option<String>,
}

/// One fill in the broker's trade book.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookFill {
    pub trade_id: String,
    pub order_id: String,
    pub filled_at: String,
    pub exchange: Exchange,
    pub tradingsymbol: String,
    pub side: OrderSide,
    pub product: String,
    pub quantity: u32,
    pub price: Price,
}
