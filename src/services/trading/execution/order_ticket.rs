//! The manual order ticket as the trader fills it in, and how it becomes an `OrderRequest`:
//! every wrong field named at once, checked against today's instrument (tradable, whole lots,
//! prices on the tick grid, a stop's trigger on the right side of its limit).

use crate::model::FieldProblem;
use serde::{Deserialize, Serialize};

use crate::model::{
    Instrument, InstrumentToken, OrderKind, OrderRequest, OrderSide, OrderTag, Price, ProductKind,
};

use super::order_rules::{product_problem, quantity_problem, tick_hint};

/// The ticket's order type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketKind {
    #[default]
    Market,
    Limit,
    /// SL: a limit at `price` once the market touches `trigger`.
    StopLoss,
    /// SL-M: a market order once the market touches `trigger`.
    StopLossMarket,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTicket {
    pub token: InstrumentToken,
    pub side: OrderSide,
    pub quantity: String,
    pub product: ProductKind,
    pub kind: TicketKind,
    /// The limit price (LIMIT and SL).
    pub price: String,
    /// The trigger price (SL and SL-M).
    pub trigger: String,
}

impl OrderTicket {
    pub fn new(token: InstrumentToken) -> Self {
        Self {
            token,
            side: OrderSide::Buy,
            quantity: "1".to_owned(),
            product: ProductKind::Intraday,
            kind: TicketKind::Market,
            price: String::new(),
            trigger: String::new(),
        }
    }

    /// The order, or every problem with the ticket on `instrument` (today's list entry for
    /// `token`). The tag is a placeholder: the executor gives every order its own.
    pub fn parse(&self, instrument: &Instrument) -> Result<OrderRequest, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut problem = |field: &'static str, message: String| {
            problems.push(FieldProblem {
                field: field.into(),
                message,
            })
        };
        if instrument.token != self.token {
            problem(
                "instrument",
                "the ticket's instrument is not in today's list; choose it again".to_owned(),
            );
        }
        if !instrument.is_tradable() {
            problem(
                "instrument",
                format!(
                    "{} is an index and cannot be traded; choose one of its futures or an ETF",
                    instrument.tradingsymbol
                ),
            );
        }
        let quantity = match self.quantity.trim().replace(',', "").parse::<u32>() {
            Ok(q) => {
                if let Some(message) = quantity_problem(q, instrument) {
                    problem("quantity", message);
                }
                q
            }
            Err(_) => {
                problem(
                    "quantity",
                    format!("'{}' is not a whole number of units", self.quantity.trim()),
                );
                0
            }
        };
        if let Some(message) = product_problem(self.product, instrument) {
            problem("product", message);
        }
        let tick = instrument.tick_size;
        let mut price_of = |field: &'static str, what: &str, text: &str| -> Option<Price> {
            let text = text.trim();
            if text.is_empty() {
                problem(
                    field,
                    format!("a {what} price is needed for this order type"),
                );
                return None;
            }
            match Price::parse(text) {
                Ok(p) if p.is_negative() || p.is_zero() => {
                    problem(field, format!("the {what} price must be more than 0"));
                    None
                }
                Ok(p) if !tick.is_zero() && !p.is_multiple_of(tick) => {
                    problem(field, tick_hint(p, tick));
                    None
                }
                Ok(p) => Some(p),
                Err(e) => {
                    problem(field, format!("'{text}' is not a price: {e}"));
                    None
                }
            }
        };
        let kind = match self.kind {
            TicketKind::Market => Some(OrderKind::Market),
            TicketKind::Limit => {
                price_of("price", "limit", &self.price).map(|price| OrderKind::Limit { price })
            }
            TicketKind::StopLossMarket => price_of("trigger", "trigger", &self.trigger)
                .map(|trigger| OrderKind::StopLossMarket { trigger }),
            TicketKind::StopLoss => {
                let price = price_of("price", "limit", &self.price);
                let trigger = price_of("trigger", "trigger", &self.trigger);
                match (price, trigger) {
                    (Some(price), Some(trigger)) => {
                        // A buy stop triggers at or below its limit; a sell stop at or above.
                        let wrong_side = match self.side {
                            OrderSide::Buy => trigger > price,
                            OrderSide::Sell => trigger < price,
                        };
                        if wrong_side {
                            problem(
                                "trigger",
                                match self.side {
                                    OrderSide::Buy => "a buy stop-loss's trigger must be at or below its limit price",
                                    OrderSide::Sell => "a sell stop-loss's trigger must be at or above its limit price",
                                }
                                .to_owned(),
                            );
                            None
                        } else {
                            Some(OrderKind::StopLoss { trigger, price })
                        }
                    }
                    _ => None,
                }
            }
        };
        match (kind, problems.is_empty()) {
            (Some(kind), true) => Ok(OrderRequest {
                exchange: instrument.exchange,
                tradingsymbol: instrument.tradingsymbol.clone(),
                side: self.side,
                quantity,
                kind,
                product: self.product,
                tag: OrderTag::parse("pending").map_err(|e| {
                    vec![FieldProblem {
                        field: "instrument".into(),
                        message: e.to_string(),
                    }]
                })?,
            }),
            _ => Err(problems),
        }
    }
}

/// A change to an open order as the trader fills it in: its new quantity and pricing. The
/// instrument, side and product stay the order's own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderChange {
    pub quantity: String,
    pub kind: TicketKind,
    pub price: String,
    pub trigger: String,
}

impl OrderChange {
    /// The form filled in with `request` as it stands.
    pub fn of(request: &OrderRequest) -> Self {
        let text = |p: Price| p.to_string();
        let (kind, price, trigger) = match request.kind {
            OrderKind::Market => (TicketKind::Market, String::new(), String::new()),
            OrderKind::Limit { price } => (TicketKind::Limit, text(price), String::new()),
            OrderKind::StopLoss { trigger, price } => {
                (TicketKind::StopLoss, text(price), text(trigger))
            }
            OrderKind::StopLossMarket { trigger } => {
                (TicketKind::StopLossMarket, String::new(), text(trigger))
            }
            // Never the trader's to modify (a trade's protection); shown by its stop leg.
            OrderKind::Gtt { stop, .. } => {
                (TicketKind::StopLoss, text(stop.price), text(stop.trigger))
            }
        };
        Self {
            quantity: request.quantity.to_string(),
            kind,
            price,
            trigger,
        }
    }

    /// The ticket that places `request` as changed, to be checked like a new one.
    pub fn ticket(&self, token: InstrumentToken, request: &OrderRequest) -> OrderTicket {
        OrderTicket {
            token,
            side: request.side,
            quantity: self.quantity.clone(),
            product: request.product,
            kind: self.kind,
            price: self.price.clone(),
            trigger: self.trigger.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Exchange;

    fn p(text: &str) -> Price {
        Price::parse(text).unwrap()
    }

    fn instrument(exchange: Exchange, lot: u32, kind: &str) -> Instrument {
        Instrument {
            token: InstrumentToken(7),
            exchange_token: 1,
            tradingsymbol: "NIFTY26DECFUT".to_owned(),
            name: String::new(),
            exchange,
            segment: String::new(),
            instrument_type: kind.to_owned(),
            tick_size: p("0.05"),
            lot_size: lot,
            expiry: None,
            strike: Price::ZERO,
        }
    }

    #[test]
    fn a_ticket_names_every_wrong_field_at_once() {
        let nifty = instrument(Exchange::Nfo, 75, "FUT");
        let mut t = OrderTicket::new(InstrumentToken(7));
        t.quantity = "100".to_owned();
        t.product = ProductKind::Delivery;
        t.kind = TicketKind::StopLoss;
        t.price = "24000.02".to_owned();
        t.trigger = String::new();
        let fields: Vec<String> = t
            .parse(&nifty)
            .unwrap_err()
            .iter()
            .map(|p| p.field.clone())
            .collect();
        assert_eq!(fields, ["quantity", "product", "price", "trigger"]);
        let problems = t.parse(&nifty).unwrap_err();
        assert!(problems[0].message.contains("lots of 75; use 75 or 150"));
        assert!(problems[2].message.contains("24,000.00 or 24,000.05"));
    }

    #[test]
    fn a_good_ticket_becomes_its_order_and_a_stop_checks_its_trigger_side() {
        let nifty = instrument(Exchange::Nfo, 75, "FUT");
        let mut t = OrderTicket::new(InstrumentToken(7));
        t.quantity = "150".to_owned();
        t.product = ProductKind::CarryForward;
        t.side = OrderSide::Sell;
        t.kind = TicketKind::StopLoss;
        t.price = "24000".to_owned();
        t.trigger = "23990".to_owned();
        let problems = t.parse(&nifty).unwrap_err();
        assert_eq!(
            problems[0].field, "trigger",
            "a sell stop's trigger is above its limit"
        );
        t.trigger = "24010".to_owned();
        let order = t.parse(&nifty).unwrap();
        assert_eq!(
            (order.side, order.quantity, order.kind),
            (
                OrderSide::Sell,
                150,
                OrderKind::StopLoss {
                    trigger: p("24010"),
                    price: p("24000")
                }
            )
        );
        let mut index = instrument(Exchange::Nse, 1, "INDEX");
        index.segment = "INDICES".to_owned();
        let mut i = OrderTicket::new(InstrumentToken(7));
        i.quantity = "x".to_owned();
        let fields: Vec<String> = i
            .parse(&index)
            .unwrap_err()
            .iter()
            .map(|p| p.field.clone())
            .collect();
        assert_eq!(fields, ["instrument", "quantity"]);
    }
}
