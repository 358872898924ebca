//! What makes a level valid, with a message per field that says what to change. Checked
//! against the instrument as today's instruments list describes it.

use crate::model::FieldProblem;
use crate::services::trading::execution::order_rules::{
    product_problem, quantity_problem, tick_hint,
};

use crate::model::{Distance, Instrument, Level, LevelOrderType, LevelTrigger, Price, Rearm};

pub const MAX_NOTE_CHARS: usize = 500;

fn check_distance(
    problems: &mut Vec<FieldProblem>,
    field: &'static str,
    what: &str,
    distance: Option<Distance>,
    tick: Price,
) {
    match distance {
        None => {}
        Some(Distance::Points(points)) if points.is_negative() || points.is_zero() => {
            problems.push(FieldProblem {
                field: field.into(),
                message: format!("the {what} must be more than 0 points away"),
            });
        }
        Some(Distance::Points(points)) if !tick.is_zero() && !points.is_multiple_of(tick) => {
            problems.push(FieldProblem {
                field: field.into(),
                message: format!("the {what}: {}", tick_hint(points, tick)),
            });
        }
        Some(Distance::BasisPoints(0)) => problems.push(FieldProblem {
            field: field.into(),
            message: format!("the {what} must be more than 0 % away"),
        }),
        Some(Distance::BasisPoints(bp)) if bp > 5_000 => problems.push(FieldProblem {
            field: field.into(),
            message: format!(
                "the {what} is at most 50 % away (not {}.{:02} %)",
                bp / 100,
                bp % 100
            ),
        }),
        Some(_) => {}
    }
}

/// Every problem with `level` on `instrument`; empty when it can be saved.
pub fn level_problems(level: &Level, instrument: &Instrument) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    let mut problem = |field: &'static str, message: String| {
        problems.push(FieldProblem {
            field: field.into(),
            message,
        })
    };
    if instrument.token != level.token {
        problem(
            "instrument",
            "the level's instrument does not match today's instruments list; choose it again"
                .to_owned(),
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
    let tick = instrument.tick_size;
    if level.price.is_negative() || level.price.is_zero() {
        problem("price", "the level's price must be more than 0".to_owned());
    } else if !tick.is_zero() && !level.price.is_multiple_of(tick) {
        problem("price", tick_hint(level.price, tick));
    }
    match level.trigger {
        LevelTrigger::Up if level.on_up.is_none() => problem(
            "on_up",
            "an upward level needs an order for the upward crossing (buy or sell)".to_owned(),
        ),
        LevelTrigger::Down if level.on_down.is_none() => problem(
            "on_down",
            "a downward level needs an order for the downward crossing (buy or sell)".to_owned(),
        ),
        LevelTrigger::Either if level.on_up.is_none() && level.on_down.is_none() => problem(
            "on_up",
            "choose an order for at least one direction (buy or sell)".to_owned(),
        ),
        _ => {}
    }
    if let Some(message) = quantity_problem(level.quantity, instrument) {
        problem("quantity", message);
    }
    if let Some(message) = product_problem(level.product, instrument) {
        problem("product", message);
    }
    if let LevelOrderType::Limit { offset } = level.order {
        if offset.is_negative() {
            problem("order", "the limit offset cannot be negative".to_owned());
        } else if !tick.is_zero() && !offset.is_multiple_of(tick) {
            problem(
                "order",
                format!("the limit offset: {}", tick_hint(offset, tick)),
            );
        }
    }
    check_distance(&mut problems, "target", "target", level.target, tick);
    check_distance(
        &mut problems,
        "stop_loss",
        "stop-loss",
        level.stop_loss,
        tick,
    );
    check_distance(
        &mut problems,
        "trailing_stop",
        "trailing stop",
        level.trailing_stop,
        tick,
    );
    if let Rearm::AfterMove { distance } = level.rearm {
        check_distance(
            &mut problems,
            "rearm",
            "re-arm distance",
            Some(distance),
            tick,
        );
    }
    if let Some(window) = level.window
        && (window.from_minute >= window.to_minute || window.to_minute > 24 * 60)
    {
        problems.push(FieldProblem {
            field: "window".into(),
            message: "the active window must start before it ends, within the day".to_owned(),
        });
    }
    if level.note.chars().count() > MAX_NOTE_CHARS {
        problems.push(FieldProblem {
            field: "note".into(),
            message: format!("a note has at most {MAX_NOTE_CHARS} characters"),
        });
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        ActiveWindow, Confirmation, Exchange, InstrumentToken, LevelId, OrderSide, ProductKind,
    };

    fn instrument(exchange: Exchange, symbol: &str, lot: u32, segment: &str) -> Instrument {
        Instrument {
            token: InstrumentToken(1),
            exchange_token: 1,
            tradingsymbol: symbol.to_owned(),
            name: String::new(),
            exchange,
            segment: segment.to_owned(),
            instrument_type: "EQ".to_owned(),
            tick_size: Price::parse("0.05").unwrap(),
            lot_size: lot,
            expiry: None,
            strike: Price::ZERO,
        }
    }

    fn level(price: &str, quantity: u32) -> Level {
        Level {
            id: LevelId(1),
            token: InstrumentToken(1),
            exchange: Exchange::Nse,
            tradingsymbol: "INFY".to_owned(),
            price: Price::parse(price).unwrap(),
            trigger: LevelTrigger::Up,
            on_up: Some(OrderSide::Buy),
            on_down: None,
            quantity,
            product: ProductKind::Intraday,
            order: LevelOrderType::Market,
            target: Some(Distance::BasisPoints(100)),
            stop_loss: Some(Distance::Points(Price::parse("5").unwrap())),
            trailing_stop: None,
            confirmation: Confirmation::Cross,
            rearm: Rearm::Once,
            window: Some(ActiveWindow {
                from_minute: 555,
                to_minute: 915,
            }),
            enabled: true,
            note: String::new(),
        }
    }

    fn fields(problems: &[FieldProblem]) -> Vec<&str> {
        problems.iter().map(|p| p.field.as_str()).collect()
    }

    #[test]
    fn a_sound_level_has_no_problems() {
        let infy = instrument(Exchange::Nse, "INFY", 1, "NSE");
        assert_eq!(level_problems(&level("1875.05", 10), &infy), []);
    }

    #[test]
    fn price_off_the_tick_grid_says_the_nearest_valid_prices() {
        let infy = instrument(Exchange::Nse, "INFY", 1, "NSE");
        let problems = level_problems(&level("1875.03", 10), &infy);
        assert_eq!(fields(&problems), ["price"]);
        assert_eq!(
            problems[0].message,
            "1,875.03 is not a multiple of the tick size 0.05; use 1,875.00 or 1,875.05"
        );
    }

    #[test]
    fn derivatives_trade_in_lots_and_not_as_delivery() {
        let future = instrument(Exchange::Nfo, "NIFTY26DECFUT", 75, "NFO-FUT");
        let mut l = level("24000", 100);
        l.product = ProductKind::Delivery;
        let problems = level_problems(&l, &future);
        assert_eq!(fields(&problems), ["quantity", "product"]);
        assert!(
            problems[0].message.contains("lots of 75; use 75 or 150"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn indices_directions_distances_and_windows_are_checked() {
        let index = instrument(Exchange::Nse, "NIFTY 50", 0, "INDICES");
        let mut l = level("24000", 0);
        l.on_up = None;
        l.target = Some(Distance::BasisPoints(0));
        l.stop_loss = Some(Distance::Points(Price::parse("-1").unwrap()));
        l.window = Some(ActiveWindow {
            from_minute: 900,
            to_minute: 600,
        });
        l.note = "x".repeat(501);
        let problems = level_problems(&l, &index);
        assert_eq!(
            fields(&problems),
            [
                "instrument",
                "on_up",
                "quantity",
                "target",
                "stop_loss",
                "window",
                "note"
            ]
        );
        assert!(problems[0].message.contains("NIFTY 50 is an index"));
    }
}
