use super::*;
use crate::model::{Distance, Exchange, InstrumentToken, LevelId, OrderSide};

fn p(text: &str) -> Price {
    Price::parse(text).unwrap()
}

fn filled(id: i64, side: OrderSide, qty: u32, avg: &str) -> OrderIntent {
    OrderIntent {
        id,
        level: Some(LevelId(1)),
        closes: None,
        outside_exit: false,
        request: OrderRequest {
            exchange: Exchange::Nse,
            tradingsymbol: "SBIN".to_owned(),
            side,
            quantity: 10,
            kind: OrderKind::Market,
            product: ProductKind::Intraday,
            tag: OrderTag::parse("t1").unwrap(),
        },
        state: if qty == 10 {
            IntentState::Filled
        } else {
            IntentState::PartiallyFilled
        },
        broker_order_id: Some("1".to_owned()),
        filled_quantity: qty,
        average_price: Some(p(avg)),
        reason: None,
        created_ms: 0,
        updated_ms: 0,
    }
}

fn trade(side: OrderSide) -> Trade {
    let mut t = open_trade(
        &filled(7, side, 10, "100"),
        InstrumentToken(1),
        None,
        p("0.05"),
        1_000,
    )
    .unwrap();
    t.id = TradeId(3);
    t
}

#[test]
fn a_fill_opens_a_trade_at_its_average_and_more_fills_move_it() {
    let first = filled(7, OrderSide::Buy, 4, "100");
    let mut t = open_trade(&first, InstrumentToken(1), None, p("0.05"), 5).unwrap();
    t.target_distance = Some(Distance::Points(p("2")));
    assert_eq!(
        (t.quantity, t.entry_price, t.entry_filled),
        (4, p("100"), 4)
    );
    let more = filled(7, OrderSide::Buy, 10, "100.60");
    let t2 = add_fills(&t, &more, p("0.05"), 6).unwrap();
    assert_eq!((t2.quantity, t2.entry_price), (10, p("100.60")));
    assert_eq!(
        t2.target,
        Some(p("102.60")),
        "the target moves with the average"
    );
    assert!(
        add_fills(&t2, &more, p("0.05"), 7).is_none(),
        "the same news twice is nothing"
    );
    let mut none = filled(8, OrderSide::Buy, 0, "0");
    none.average_price = None;
    assert!(open_trade(&none, InstrumentToken(1), None, p("0.05"), 5).is_none());
}

#[test]
fn target_and_stop_exit_a_long_and_a_short_on_their_sides() {
    let mut long = trade(OrderSide::Buy);
    long.target = Some(p("102"));
    long.stop_loss = Some(p("99"));
    assert_eq!(on_price(&long, p("101.95"), p("0.05")).1, None);
    assert_eq!(
        on_price(&long, p("102"), p("0.05")).1,
        Some(ExitReason::Target)
    );
    assert_eq!(
        on_price(&long, p("99"), p("0.05")).1,
        Some(ExitReason::StopLoss)
    );
    let mut short = trade(OrderSide::Sell);
    short.target = Some(p("98"));
    short.stop_loss = Some(p("101"));
    assert_eq!(on_price(&short, p("99"), p("0.05")).1, None);
    assert_eq!(
        on_price(&short, p("97.5"), p("0.05")).1,
        Some(ExitReason::Target)
    );
    assert_eq!(
        on_price(&short, p("101.05"), p("0.05")).1,
        Some(ExitReason::StopLoss)
    );
}

#[test]
fn a_trailing_stop_follows_the_best_price_and_never_backs_off() {
    let mut t = trade(OrderSide::Buy);
    t.stop_loss = Some(p("98"));
    t.trailing = Some(Distance::Points(p("1.5")));
    let (t, exit) = on_price(&t, p("103"), p("0.05"));
    assert_eq!((t.best_price, exit), (p("103"), None));
    assert_eq!(t.trailing_stop(p("0.05")), Some(p("101.50")));
    let (t, exit) = on_price(&t, p("102"), p("0.05"));
    assert_eq!(
        (t.best_price, exit),
        (p("103"), None),
        "a fall keeps the best"
    );
    let (_, exit) = on_price(&t, p("101.5"), p("0.05"));
    assert_eq!(exit, Some(ExitReason::TrailingStop));
}

#[test]
fn an_exit_fill_closes_with_the_profit_and_a_refusal_hands_it_back() {
    let mut t = trade(OrderSide::Buy);
    t.state = TradeState::Exiting;
    t.exit_reason = Some(ExitReason::Target);
    t.exit_intent = Some(9);
    let mut exit = filled(9, OrderSide::Sell, 10, "102.50");
    exit.closes = Some(t.id);
    let closed = on_exit_update(&t, &exit, 50).unwrap();
    assert_eq!(closed.state, TradeState::Closed);
    assert_eq!(closed.realised, p("25"), "(102.50 - 100) x 10");
    assert_eq!((closed.quantity, closed.exited), (0, 10));
    assert!(on_exit_update(&closed, &exit, 51).is_none(), "applied once");

    let mut part = filled(9, OrderSide::Sell, 4, "99");
    part.closes = Some(t.id);
    part.state = IntentState::Cancelled;
    part.reason = Some("cancelled by the broker".to_owned());
    let back = on_exit_update(&t, &part, 60).unwrap();
    assert_eq!(
        (back.state, back.quantity, back.exited),
        (TradeState::Open, 6, 4)
    );
    assert_eq!(back.realised, p("-4"));
    assert!(
        back.problem
            .clone()
            .unwrap()
            .contains("6 units are still held")
    );
    assert!(auto_exit_allowed(&back));
    // Refused again and again: the monitor gives the trade back to the trader.
    let mut tired = t.clone();
    tired.refused_exits = MAX_REFUSED_EXITS - 1;
    let given_up = on_exit_update(&tired, &part, 70).unwrap();
    assert!(!auto_exit_allowed(&given_up));
    assert!(given_up.problem.clone().unwrap().contains("Exit button"));
    let manual = exiting(&given_up, ExitReason::Manual, 80);
    assert!(
        auto_exit_allowed(&manual),
        "a manual exit starts the count afresh"
    );
    let mut working = part.clone();
    working.state = IntentState::PartiallyFilled;
    assert!(on_exit_update(&t, &working, 61).is_none(), "still working");
}

#[test]
fn intraday_trades_square_off_at_the_minute_of_their_day_or_the_next() {
    // 2026-12-01 09:30 IST is 04:00 UTC.
    let morning = 1_796_097_600_000;
    let mut t = trade(OrderSide::Buy);
    t.opened_ms = morning;
    let at = |hh: i64, mm: i64| morning + ((hh - 9) * 60 + (mm - 30)) * 60_000;
    assert!(!square_off_due(&t, DEFAULT_SQUARE_OFF_MINUTE, at(15, 14)));
    assert!(square_off_due(&t, DEFAULT_SQUARE_OFF_MINUTE, at(15, 15)));
    t.opened_ms = at(16, 0);
    assert!(!square_off_due(&t, DEFAULT_SQUARE_OFF_MINUTE, at(23, 0)));
    assert!(square_off_due(
        &t,
        DEFAULT_SQUARE_OFF_MINUTE,
        at(15, 15) + 86_400_000
    ));
    t.product = ProductKind::Delivery;
    assert!(!square_off_due(
        &t,
        DEFAULT_SQUARE_OFF_MINUTE,
        at(20, 0) + 86_400_000
    ));
}

#[test]
fn exits_sit_on_the_right_side_rounded_cautiously() {
    let tick = p("0.05");
    let (target, stop) = exit_prices(
        p("100"),
        OrderSide::Buy,
        Some(Distance::BasisPoints(150)),
        Some(Distance::Points(p("0.73"))),
        tick,
    );
    assert_eq!(target, Some(p("101.50")));
    assert_eq!(
        stop,
        Some(p("99.30")),
        "99.27 rounds up: never further than asked"
    );
    let (target, stop) = exit_prices(
        p("100"),
        OrderSide::Sell,
        Some(Distance::Points(p("2.02"))),
        Some(Distance::BasisPoints(33)),
        tick,
    );
    assert_eq!(target, Some(p("98.00")), "97.98 rounds up for a short");
    assert_eq!(stop, Some(p("100.30")), "100.33 rounds down for a short");
}

#[test]
fn an_exit_closes_only_what_the_broker_still_holds_of_the_apps_trades() {
    let long = trade(OrderSide::Buy);
    let short = trade(OrderSide::Sell);
    let q = long.quantity;
    let signed = i64::from(q);
    // As expected: the whole exit goes.
    assert_eq!(closable_units(&long, q, signed, signed), q);
    assert_eq!(closable_units(&short, q, -signed, -signed), q);
    // Sold (or bought back) outside the app: nothing to send.
    assert_eq!(closable_units(&long, q, signed, 0), 0);
    assert_eq!(closable_units(&short, q, -signed, 0), 0);
    // Reduced outside by one: one less.
    assert_eq!(closable_units(&long, q, signed, signed - 1), q - 1);
    assert_eq!(closable_units(&short, q, -signed, -signed + 1), q - 1);
    // The broker holds more than the app's trades (bought outside): the exit is as asked.
    assert_eq!(closable_units(&long, q, signed, signed + 50), q);
    // Hedged in the app — this long and a short of 4 on the same instrument — the broker nets
    // them: nothing was closed outside, the whole exit goes.
    assert_eq!(closable_units(&long, q, signed - 4, signed - 4), q);
    assert_eq!(closable_units(&short, q, 4 - signed, 4 - signed), q);
    assert_eq!(signed_units(&long), signed);
    assert_eq!(signed_units(&short), -signed);
}
