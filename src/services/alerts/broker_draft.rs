//! The form for an alert kept at the broker (Kite's Alerts API), and its checks: every field's
//! problem at once, in words that say how to fix it, before anything is sent.

use crate::model::FieldProblem;
use serde::{Deserialize, Serialize};

use crate::model::{
    AtoOrder, AtoPricing, AtoSpec, BrokerAlert, BrokerAlertKind, BrokerAlertOperator,
    BrokerAlertSpec, Exchange, InstrumentToken, OrderSide, Price, ProductKind,
};
use crate::services::instruments::InstrumentCatalog;

/// Longest name the form takes.
pub const MAX_BROKER_ALERT_NAME: usize = 80;
/// Most orders one ATO basket takes here.
pub const MAX_ATO_ORDERS: usize = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AtoOrderType {
    Market,
    Limit,
}

/// One basket row as typed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtoOrderDraft {
    pub side: OrderSide,
    pub quantity: String,
    pub order_type: AtoOrderType,
    /// The limit price (ignored for a market order).
    pub price: String,
    pub product: ProductKind,
}

impl Default for AtoOrderDraft {
    fn default() -> Self {
        AtoOrderDraft {
            side: OrderSide::Buy,
            quantity: String::new(),
            order_type: AtoOrderType::Limit,
            price: String::new(),
            product: ProductKind::Delivery,
        }
    }
}

/// The form as typed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerAlertDraft {
    pub name: String,
    /// The instrument whose last price is watched.
    pub token: Option<InstrumentToken>,
    pub operator: BrokerAlertOperator,
    pub value: String,
    pub kind: BrokerAlertKind,
    /// For an ATO alert: the instrument its orders trade (empty: the watched one).
    pub order_token: Option<InstrumentToken>,
    pub basket: Vec<AtoOrderDraft>,
}

impl Default for BrokerAlertDraft {
    fn default() -> Self {
        BrokerAlertDraft {
            name: String::new(),
            token: None,
            operator: BrokerAlertOperator::Ge,
            value: String::new(),
            kind: BrokerAlertKind::Simple,
            order_token: None,
            basket: Vec::new(),
        }
    }
}

/// What a checked draft asks the broker for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BrokerAlertRequest {
    Simple(BrokerAlertSpec),
    Ato(AtoSpec),
}

impl BrokerAlertRequest {
    pub fn kind(&self) -> BrokerAlertKind {
        match self {
            BrokerAlertRequest::Simple(_) => BrokerAlertKind::Simple,
            BrokerAlertRequest::Ato(_) => BrokerAlertKind::Ato,
        }
    }
}

impl BrokerAlertDraft {
    /// The form filled from an alert this app can edit (`None`: it cannot).
    pub fn from_alert(alert: &BrokerAlert) -> Option<BrokerAlertDraft> {
        let spec = alert.spec.as_ref()?;
        let orders = match alert.kind {
            BrokerAlertKind::Simple => Vec::new(),
            BrokerAlertKind::Ato => alert.orders.clone()?,
        };
        let order_token = None;
        Some(BrokerAlertDraft {
            name: spec.name.clone(),
            token: Some(spec.token),
            operator: spec.operator,
            value: spec.value.to_string(),
            kind: alert.kind,
            order_token,
            basket: orders
                .iter()
                .map(|o| AtoOrderDraft {
                    side: o.side,
                    quantity: o.quantity.to_string(),
                    order_type: match o.pricing {
                        AtoPricing::Market => AtoOrderType::Market,
                        AtoPricing::Limit { .. } => AtoOrderType::Limit,
                    },
                    price: match o.pricing {
                        AtoPricing::Market => String::new(),
                        AtoPricing::Limit { price } => price.to_string(),
                    },
                    product: o.product,
                })
                .collect(),
        })
    }

    /// Checks every field against the catalog; all problems at once.
    pub fn parse(
        &self,
        catalog: &InstrumentCatalog,
    ) -> Result<BrokerAlertRequest, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut problem = |field: &str, message: String| {
            problems.push(FieldProblem {
                field: field.to_owned(),
                message,
            })
        };
        let name = self.name.trim();
        if name.is_empty() {
            problem(
                "name",
                "give the alert a name (Kite shows it in its notifications)".into(),
            );
        } else if name.chars().count() > MAX_BROKER_ALERT_NAME {
            problem(
                "name",
                format!("keep the name within {MAX_BROKER_ALERT_NAME} characters"),
            );
        }
        let instrument = match self.token {
            None => {
                problem("instrument", "pick the instrument to watch".into());
                None
            }
            Some(token) => {
                let found = catalog.get(token);
                if found.is_none() {
                    problem(
                        "instrument",
                        format!(
                            "instrument {} is not in today's instruments: search for it again",
                            token.0
                        ),
                    );
                }
                found
            }
        };
        let value = match Price::parse(&self.value) {
            Ok(v) if v > Price::ZERO => Some(v),
            Ok(_) => {
                problem("value", "the price must be above zero".into());
                None
            }
            Err(e) => {
                problem("value", format!("type a price such as 1500.50 ({e})"));
                None
            }
        };
        let mut basket = Vec::new();
        if self.kind == BrokerAlertKind::Ato {
            let order_instrument = match self.order_token {
                Some(token) => {
                    let found = catalog.get(token);
                    if found.is_none() {
                        problem(
                            "order_instrument",
                            format!(
                                "instrument {} is not in today's instruments: search for it again",
                                token.0
                            ),
                        );
                    }
                    found
                }
                None => instrument.clone(),
            };
            if let Some(i) = &order_instrument
                && !i.is_tradable()
            {
                problem(
                    if self.order_token.is_some() {
                        "order_instrument"
                    } else {
                        "instrument"
                    },
                    format!(
                        "{} is an index and cannot be ordered: pick the instrument the orders trade",
                        i.tradingsymbol
                    ),
                );
            }
            if self.basket.is_empty() {
                problem(
                    "basket",
                    "an ATO alert needs at least one order (or make it a simple alert)".into(),
                );
            } else if self.basket.len() > MAX_ATO_ORDERS {
                problem(
                    "basket",
                    format!("an ATO basket takes at most {MAX_ATO_ORDERS} orders"),
                );
            }
            for (n, row) in self.basket.iter().enumerate().take(MAX_ATO_ORDERS) {
                let field = |f: &str| format!("basket.{n}.{f}");
                let lot = order_instrument.as_ref().map_or(1, |i| i.lot_size.max(1));
                let quantity = match row.quantity.trim().parse::<u32>() {
                    Ok(0) | Err(_) => {
                        problem(
                            &field("quantity"),
                            "type a whole number of shares or units above zero".into(),
                        );
                        None
                    }
                    Ok(q) if q % lot != 0 => {
                        problem(
                            &field("quantity"),
                            format!("trade in lots of {lot}: {q} is not a multiple of it"),
                        );
                        None
                    }
                    Ok(q) => Some(q),
                };
                let pricing = match row.order_type {
                    AtoOrderType::Market => Some(AtoPricing::Market),
                    AtoOrderType::Limit => match Price::parse(&row.price) {
                        Ok(p) if p <= Price::ZERO => {
                            problem(&field("price"), "a limit price must be above zero".into());
                            None
                        }
                        Ok(p) => {
                            let tick = order_instrument
                                .as_ref()
                                .map_or(Price::ZERO, |i| i.tick_size);
                            if tick > Price::ZERO && p.raw() % tick.raw() != 0 {
                                problem(
                                    &field("price"),
                                    format!(
                                        "the price must be a multiple of the tick size {}",
                                        tick.format_inr()
                                    ),
                                );
                                None
                            } else {
                                Some(AtoPricing::Limit { price: p })
                            }
                        }
                        Err(e) => {
                            problem(
                                &field("price"),
                                format!("type the limit price, such as 1499.50 ({e})"),
                            );
                            None
                        }
                    },
                };
                if let Some(i) = &order_instrument {
                    let equity = matches!(i.exchange, Exchange::Nse | Exchange::Bse);
                    match (row.product, equity) {
                        (ProductKind::Delivery, false) => problem(
                            &field("product"),
                            "delivery (CNC) is for shares: use intraday or carry forward".into(),
                        ),
                        (ProductKind::CarryForward, true) => problem(
                            &field("product"),
                            "carry forward (NRML) is for derivatives: use delivery or intraday"
                                .into(),
                        ),
                        _ => {}
                    }
                }
                if let (Some(quantity), Some(pricing), Some(i)) =
                    (quantity, pricing, &order_instrument)
                {
                    basket.push(AtoOrder {
                        exchange: i.exchange,
                        tradingsymbol: i.tradingsymbol.clone(),
                        side: row.side,
                        quantity,
                        pricing,
                        product: row.product,
                    });
                }
            }
        }
        let (Some(instrument), Some(value)) = (instrument, value) else {
            return Err(problems);
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        let spec = BrokerAlertSpec {
            name: name.to_owned(),
            token: instrument.token,
            exchange: instrument.exchange,
            tradingsymbol: instrument.tradingsymbol.clone(),
            index: !instrument.is_tradable(),
            operator: self.operator,
            value,
        };
        Ok(match self.kind {
            BrokerAlertKind::Simple => BrokerAlertRequest::Simple(spec),
            BrokerAlertKind::Ato => BrokerAlertRequest::Ato(AtoSpec {
                alert: spec,
                basket,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Instrument;

    fn instrument(
        token: u32,
        symbol: &str,
        exchange: Exchange,
        segment: &str,
        lot: u32,
    ) -> Instrument {
        Instrument {
            token: InstrumentToken(token),
            exchange_token: 1,
            tradingsymbol: symbol.to_owned(),
            name: symbol.to_owned(),
            exchange,
            segment: segment.to_owned(),
            instrument_type: "EQ".to_owned(),
            tick_size: Price::parse("0.05").unwrap(),
            lot_size: lot,
            expiry: None,
            strike: Price::ZERO,
        }
    }

    const INFY: u32 = 408_065;
    const NIFTY: u32 = 256_265;
    const NIFTY_FUT: u32 = 9_001;

    fn catalog() -> InstrumentCatalog {
        let catalog = InstrumentCatalog::default();
        catalog.replace(vec![
            instrument(INFY, "INFY", Exchange::Nse, "NSE", 1),
            instrument(NIFTY, "NIFTY 50", Exchange::Nse, "INDICES", 1),
            instrument(NIFTY_FUT, "NIFTY26DECFUT", Exchange::Nfo, "NFO-FUT", 75),
        ]);
        catalog
    }

    fn order(quantity: &str, price: &str, product: ProductKind) -> AtoOrderDraft {
        AtoOrderDraft {
            side: OrderSide::Buy,
            quantity: quantity.into(),
            order_type: AtoOrderType::Limit,
            price: price.into(),
            product,
        }
    }

    fn fields(problems: &[FieldProblem]) -> Vec<&str> {
        problems.iter().map(|p| p.field.as_str()).collect()
    }

    #[test]
    fn a_simple_alert_on_an_index_is_filed_as_an_index() {
        let draft = BrokerAlertDraft {
            name: " Nifty top ".into(),
            token: Some(InstrumentToken(NIFTY)),
            operator: BrokerAlertOperator::Ge,
            value: "27,000".into(),
            ..BrokerAlertDraft::default()
        };
        let BrokerAlertRequest::Simple(spec) = draft.parse(&catalog()).unwrap() else {
            panic!("a simple alert");
        };
        assert_eq!(spec.name, "Nifty top");
        assert!(spec.index);
        assert_eq!(spec.value, Price::parse("27000").unwrap());
        assert_eq!(spec.condition_text(), "NSE:NIFTY 50 >= ₹27,000.00");
    }

    #[test]
    fn an_ato_on_an_index_trades_another_instrument_in_its_lots() {
        let mut draft = BrokerAlertDraft {
            name: "nifty breakout".into(),
            token: Some(InstrumentToken(NIFTY)),
            value: "27000".into(),
            kind: BrokerAlertKind::Ato,
            basket: vec![order("75", "27010", ProductKind::Intraday)],
            ..BrokerAlertDraft::default()
        };
        // The index itself cannot be ordered.
        let problems = draft.parse(&catalog()).unwrap_err();
        assert_eq!(fields(&problems), ["instrument"]);
        // Its future can, in lots of 75, not as delivery.
        draft.order_token = Some(InstrumentToken(NIFTY_FUT));
        draft.basket = vec![
            order("50", "27010", ProductKind::Intraday),
            order("75", "27010.03", ProductKind::Delivery),
        ];
        let problems = draft.parse(&catalog()).unwrap_err();
        assert_eq!(
            fields(&problems),
            ["basket.0.quantity", "basket.1.price", "basket.1.product"]
        );
        draft.basket = vec![order("150", "27010.05", ProductKind::CarryForward)];
        let BrokerAlertRequest::Ato(spec) = draft.parse(&catalog()).unwrap() else {
            panic!("an ATO alert");
        };
        assert_eq!(spec.basket[0].tradingsymbol, "NIFTY26DECFUT");
        assert_eq!(
            spec.basket[0].summary(),
            "BUY 150 NIFTY26DECFUT LIMIT ₹27,010.05 (NRML)"
        );
    }

    #[test]
    fn every_wrong_field_is_named_at_once() {
        let draft = BrokerAlertDraft {
            name: "x".repeat(MAX_BROKER_ALERT_NAME + 1),
            token: Some(InstrumentToken(1)),
            value: "0".into(),
            kind: BrokerAlertKind::Ato,
            basket: Vec::new(),
            ..BrokerAlertDraft::default()
        };
        let problems = draft.parse(&catalog()).unwrap_err();
        assert_eq!(fields(&problems), ["name", "instrument", "value", "basket"]);
    }

    #[test]
    fn an_edited_alert_fills_the_form_back() {
        let draft = BrokerAlertDraft {
            name: "infy dip".into(),
            token: Some(InstrumentToken(INFY)),
            operator: BrokerAlertOperator::Le,
            value: "1400".into(),
            kind: BrokerAlertKind::Ato,
            basket: vec![order("5", "1399.5", ProductKind::Delivery)],
            ..BrokerAlertDraft::default()
        };
        let BrokerAlertRequest::Ato(spec) = draft.parse(&catalog()).unwrap() else {
            panic!("an ATO alert");
        };
        let alert = BrokerAlert {
            id: "u".into(),
            name: spec.alert.name.clone(),
            kind: BrokerAlertKind::Ato,
            enabled: true,
            disabled_reason: String::new(),
            fired_count: 0,
            condition: spec.alert.condition_text(),
            basket: Vec::new(),
            spec: Some(spec.alert.clone()),
            orders: Some(spec.basket.clone()),
            updated_at: None,
        };
        let again = BrokerAlertDraft::from_alert(&alert).unwrap();
        assert_eq!(
            again.parse(&catalog()).unwrap(),
            BrokerAlertRequest::Ato(spec)
        );
    }
}
