//! Adopting a position the broker holds outside the app: the trader says what it was bought (or
//! sold) at — the broker's average unless they type another price — and, if they like, its stop
//! and target. It becomes a trade like any other (the monitor's target, stop and square-off, its
//! stop order at the broker), recorded with who adopted it and when. Adopting never places an
//! order by itself: only the stop order that protects any trade with a stop.

use serde::{Deserialize, Serialize};

use crate::model::{
    Adoption, Exchange, FieldProblem, OrderSide, Price, ProductKind, StateChange, Trade, TradeId,
    TradeState,
};

use super::account::AccountPosition;
use super::{TradeError, TradeReport, TradeService, lock};

/// The Account page's adopt form for one outside position.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdoptionDraft {
    pub exchange: String,
    pub tradingsymbol: String,
    /// The position's product as the broker reports it (`intraday`, `delivery`,
    /// `carry_forward`); empty where the venue keeps one position whatever the product.
    pub product: String,
    /// Empty: the broker's average price.
    pub entry_price: String,
    pub stop_loss: String,
    pub target: String,
}

fn problem(field: &str, message: String) -> FieldProblem {
    FieldProblem {
        field: field.to_owned(),
        message,
    }
}

fn optional_price(
    problems: &mut Vec<FieldProblem>,
    field: &str,
    text: &str,
    tick: Price,
) -> Option<Price> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match Price::parse(text) {
        Ok(p) if p > Price::ZERO => {
            if !tick.is_zero() && p.snap_to_tick(tick, false) != p {
                problems.push(problem(
                    field,
                    format!(
                        "{field}: {} is not on the tick grid of {}; try {}",
                        p.format_indian(),
                        tick.format_indian(),
                        p.snap_to_tick(tick, false).format_indian()
                    ),
                ));
                return None;
            }
            Some(p)
        }
        _ => {
            problems.push(problem(
                field,
                format!("{field}: '{text}' is not a price above zero (e.g. 1520.50)"),
            ));
            None
        }
    }
}

/// The trade `row`'s outside units become, as `draft` asks: `Err` names every field that is
/// wrong. `ltp` is the last price (the stop and target must be on their sides of it).
pub fn adopted_trade(
    draft: &AdoptionDraft,
    row: &AccountPosition,
    ltp: Option<Price>,
    tick: Price,
    by: &str,
    now_ms: i64,
) -> Result<Trade, Vec<FieldProblem>> {
    let p = &row.position;
    let mut problems = Vec::new();
    let long = row.outside > 0;
    // Only units the broker holds beyond the app's trades, on the side it holds them.
    if row.outside == 0
        || p.quantity == 0
        || (p.quantity > 0) != long
        || row.outside.abs() > p.quantity.abs()
    {
        return Err(vec![problem(
            "position",
            format!(
                "nothing of {} is held outside the app to adopt (the broker holds {}, the app's \
                 trades {})",
                p.tradingsymbol, p.quantity, row.managed
            ),
        )]);
    }
    let Some(token) = row.token else {
        return Err(vec![problem(
            "position",
            format!(
                "{}:{} is not in the instrument list yet; adopt it once the list is loaded",
                p.exchange.code(),
                p.tradingsymbol
            ),
        )]);
    };
    let typed = optional_price(
        &mut problems,
        "entry_price",
        &draft.entry_price,
        Price::ZERO,
    );
    let entry = match typed {
        Some(e) => Some(e),
        None if draft.entry_price.trim().is_empty() && p.average_price > Price::ZERO => {
            Some(p.average_price)
        }
        None if draft.entry_price.trim().is_empty() => {
            problems.push(problem(
                "entry_price",
                "entry_price: the broker gives no average price for it; type the price it was \
                 entered at"
                    .to_owned(),
            ));
            None
        }
        None => None,
    };
    let stop = optional_price(&mut problems, "stop_loss", &draft.stop_loss, tick);
    let target = optional_price(&mut problems, "target", &draft.target, tick);
    // Where the stop and target are judged from: the market now, else the entry.
    let reference = ltp.or(entry);
    if let (Some(s), Some(r)) = (stop, reference)
        && ((long && s >= r) || (!long && s <= r))
    {
        problems.push(problem(
            "stop_loss",
            format!(
                "stop_loss: a {} position's stop goes {} the last price {}",
                if long { "long" } else { "short" },
                if long { "below" } else { "above" },
                r.format_indian()
            ),
        ));
    }
    if let (Some(t), Some(r)) = (target, reference)
        && ((long && t <= r) || (!long && t >= r))
    {
        problems.push(problem(
            "target",
            format!(
                "target: a {} position's target goes {} the last price {}",
                if long { "long" } else { "short" },
                if long { "above" } else { "below" },
                r.format_indian()
            ),
        ));
    }
    let (Some(entry), true) = (entry, problems.is_empty()) else {
        return Err(problems);
    };
    let units = u32::try_from(row.outside.unsigned_abs()).unwrap_or(u32::MAX);
    Ok(Trade {
        id: TradeId(0),
        version: 0,
        level: None,
        entry_intent: 0,
        token,
        exchange: p.exchange,
        tradingsymbol: p.tradingsymbol.clone(),
        product: p.product.unwrap_or(ProductKind::Intraday),
        side: if long {
            OrderSide::Buy
        } else {
            OrderSide::Sell
        },
        quantity: units,
        entry_filled: units,
        entry_price: entry,
        target_distance: None,
        stop_distance: None,
        target,
        stop_loss: stop,
        trailing: None,
        best_price: reference.unwrap_or(entry),
        state: TradeState::Open,
        exit_reason: None,
        exit_intent: None,
        exit_price: None,
        exited: 0,
        realised: Price::ZERO,
        problem: None,
        refused_exits: 0,
        protective: None,
        adopted: Some(Adoption {
            by: by.to_owned(),
            at_ms: now_ms,
            broker_average: typed.is_none(),
        }),
        opened_ms: now_ms,
        updated_ms: now_ms,
        closed_ms: None,
    })
}

impl TradeService {
    /// Adopts the outside units of one broker position as a trade (see the module), read
    /// against the broker's positions now.
    pub async fn adopt(&self, draft: &AdoptionDraft, by: &str) -> Result<Trade, TradeError> {
        let exchange = Exchange::ALL
            .into_iter()
            .find(|e| e.code() == draft.exchange.trim());
        let product = match draft.product.trim() {
            "" => None,
            "intraday" => Some(ProductKind::Intraday),
            "delivery" => Some(ProductKind::Delivery),
            "carry_forward" => Some(ProductKind::CarryForward),
            other => {
                return Err(TradeError::Invalid(vec![problem(
                    "product",
                    format!("product: '{other}' is not intraday, delivery or carry_forward"),
                )]));
            }
        };
        let Some(exchange) = exchange else {
            return Err(TradeError::Invalid(vec![problem(
                "exchange",
                format!("exchange: '{}' is not an exchange", draft.exchange),
            )]));
        };
        let view = self.account().await;
        if let Some(problem) = view.problem {
            return Err(TradeError::Failed(problem));
        }
        let Some(row) = view.positions.iter().find(|r| {
            r.position.exchange == exchange
                && r.position.tradingsymbol == draft.tradingsymbol.trim()
                && r.position.product == product
        }) else {
            return Err(TradeError::Invalid(vec![problem(
                "position",
                format!(
                    "the broker holds no {}:{} position today",
                    exchange.code(),
                    draft.tradingsymbol.trim()
                ),
            )]));
        };
        let tick = row.token.map_or(Price::ZERO, |t| self.tick_size(t));
        let now = self.clock.now_ms();
        let trade =
            adopted_trade(draft, row, row.ltp, tick, by, now).map_err(TradeError::Invalid)?;
        let Some(stored) = self.store.insert(&trade).await? else {
            return Err(TradeError::Failed(
                "the adopted trade could not be stored; nothing was changed".to_owned(),
            ));
        };
        let mut report = TradeReport::default();
        self.remember(&mut report, &stored);
        self.protect(&mut report, &stored).await;
        // Workers running apart watch it from now on.
        self.changes.tell(StateChange::Orders);
        let current = lock(&self.active).get(&stored.id).cloned();
        let current = current.unwrap_or(stored);
        if let Some(e) = report.errors.first().cloned() {
            // Adopted all the same; the trade says why its stop is not at the broker.
            self.note_problem(&mut report, &current, &e).await;
        }
        Ok(lock(&self.active)
            .get(&current.id)
            .cloned()
            .unwrap_or(current))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BrokerPosition, InstrumentToken};

    fn p(s: &str) -> Price {
        Price::parse(s).unwrap()
    }

    fn row(quantity: i64, managed: i64) -> AccountPosition {
        AccountPosition {
            position: BrokerPosition {
                exchange: Exchange::Nse,
                tradingsymbol: "SBIN".to_owned(),
                product: Some(ProductKind::Intraday),
                quantity,
                average_price: p("800"),
                sold_average: None,
                bought_average: None,
            },
            token: Some(InstrumentToken(779_521)),
            ltp: Some(p("805")),
            trades: Vec::new(),
            managed,
            outside: quantity - managed,
        }
    }

    fn draft(entry: &str, stop: &str, target: &str) -> AdoptionDraft {
        AdoptionDraft {
            exchange: "NSE".to_owned(),
            tradingsymbol: "SBIN".to_owned(),
            product: "intraday".to_owned(),
            entry_price: entry.to_owned(),
            stop_loss: stop.to_owned(),
            target: target.to_owned(),
        }
    }

    #[test]
    fn the_outside_units_become_a_trade_at_the_brokers_average_or_the_typed_price() {
        let tick = p("0.05");
        let t = adopted_trade(
            &draft("", "790", "820"),
            &row(5, 2),
            Some(p("805")),
            tick,
            "ana",
            7,
        )
        .unwrap();
        assert_eq!((t.side, t.quantity, t.entry_filled), (OrderSide::Buy, 3, 3));
        assert_eq!(t.entry_price, p("800"));
        assert_eq!((t.stop_loss, t.target), (Some(p("790")), Some(p("820"))));
        assert_eq!(t.entry_intent, 0);
        assert_eq!(
            t.adopted,
            Some(Adoption {
                by: "ana".to_owned(),
                at_ms: 7,
                broker_average: true
            })
        );
        let typed =
            adopted_trade(&draft("798.5", "", ""), &row(-4, 0), None, tick, "ana", 7).unwrap();
        assert_eq!((typed.side, typed.quantity), (OrderSide::Sell, 4));
        assert_eq!(typed.entry_price, p("798.5"));
        assert!(!typed.adopted.unwrap().broker_average);
    }

    #[test]
    fn a_wrong_adoption_names_every_field_and_nothing_outside_is_refused() {
        let tick = p("0.05");
        let wrong = adopted_trade(
            &draft("abc", "810", "800.03"),
            &row(5, 0),
            Some(p("805")),
            tick,
            "ana",
            7,
        )
        .unwrap_err();
        let said = |field: &str| {
            wrong
                .iter()
                .find(|f| f.field == field)
                .map(|f| f.message.clone())
                .unwrap_or_else(|| panic!("{field} named: {wrong:?}"))
        };
        assert_eq!(wrong.len(), 3, "{wrong:?}");
        assert!(said("entry_price").contains("'abc' is not a price"));
        assert!(said("stop_loss").contains("below the last price 805.00"));
        assert!(said("target").contains("tick grid"));
        // All of it is the app's already, or the broker holds less than the trades.
        for (quantity, managed) in [(3, 3), (2, 3), (0, 3)] {
            let none = adopted_trade(
                &draft("", "", ""),
                &row(quantity, managed),
                None,
                tick,
                "ana",
                7,
            )
            .unwrap_err();
            assert_eq!(none[0].field, "position", "{none:?}");
        }
    }
}
