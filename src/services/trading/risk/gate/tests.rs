//! Each risk limit at its edge, the kill switch never blocking an exit, and the limits form.

use super::*;
use crate::model::{
    Exchange, IntentState, OrderRequest, OrderSide, OrderTag, ProductKind, TradeId,
};

fn p(text: &str) -> Price {
    Price::parse(text).unwrap()
}

fn order(quantity: u32, kind: OrderKind) -> OrderIntent {
    OrderIntent {
        id: 1,
        level: None,
        closes: None,
        outside_exit: false,
        request: OrderRequest {
            exchange: Exchange::Nse,
            tradingsymbol: "INFY".to_owned(),
            side: OrderSide::Buy,
            quantity,
            kind,
            product: ProductKind::Intraday,
            tag: OrderTag::parse("t").unwrap(),
        },
        state: IntentState::Pending,
        broker_order_id: None,
        filled_quantity: 0,
        average_price: None,
        reason: None,
        created_ms: 0,
        updated_ms: 0,
    }
}

fn cx() -> RiskContext {
    RiskContext {
        ltp: Some(p("1500")),
        open_positions: 0,
        entries_today: 1,
        day_pnl: Price::ZERO,
    }
}

fn none() -> RiskLimits {
    RiskLimits::NONE
}

#[test]
fn an_ato_basket_meets_the_kill_switch_and_every_per_order_limit() {
    let ltp = |_: &OrderRequest| Some(p("1500"));
    let small = order(5, OrderKind::Market).request;
    let big = order(10, OrderKind::Limit { price: p("1500") }).request;
    let far = order(1, OrderKind::Limit { price: p("1700") }).request;
    let limits = RiskLimits {
        max_order_quantity: Some(5),
        price_band_bp: Some(500),
        max_orders_per_day: Some(2),
        ..none()
    };
    assert_eq!(
        standing_orders_problem(&limits, None, std::slice::from_ref(&small), ltp),
        None
    );
    // The kill switch refuses any basket, even one within every limit.
    let halted = KillSwitch {
        engaged_ms: 1,
        squared_off: false,
    };
    let problem =
        standing_orders_problem(&none(), Some(&halted), std::slice::from_ref(&small), ltp);
    assert!(problem.unwrap().starts_with("the kill switch is on"));
    // Over the quantity limit: the order is named in a basket of several.
    assert_eq!(
        standing_orders_problem(&limits, None, &[small.clone(), big.clone()], ltp).as_deref(),
        Some("order 2 of the basket (INFY): quantity 10 is above the limit of 5 per order")
    );
    assert_eq!(
        standing_orders_problem(&limits, None, &[big], ltp).as_deref(),
        Some("quantity 10 is above the limit of 5 per order")
    );
    // The price band against the last price now.
    assert!(
        standing_orders_problem(&limits, None, &[far], ltp)
            .unwrap()
            .contains("(the price band)")
    );
    // More orders than a day allows can never go out within it.
    assert_eq!(
        standing_orders_problem(&limits, None, &[small.clone(), small.clone(), small], ltp)
            .as_deref(),
        Some("the basket has 3 orders, more than the 2 allowed per day")
    );
    // No live price where a limit needs one: refused, never waved through.
    let value = RiskLimits {
        max_order_value: Some(p("100000")),
        ..none()
    };
    assert!(
        standing_orders_problem(&value, None, &[order(1, OrderKind::Market).request], |_| {
            None
        })
        .unwrap()
        .contains("no live price")
    );
}

#[test]
fn each_limit_refuses_with_its_reason_and_passes_at_its_edge() {
    let market = order(10, OrderKind::Market);
    assert_eq!(order_problem(&none(), None, &market, cx()), None);

    let limits = RiskLimits {
        max_order_quantity: Some(10),
        ..none()
    };
    assert_eq!(
        order_problem(&limits, None, &market, cx()),
        None,
        "at the limit"
    );
    let big = order(11, OrderKind::Market);
    assert!(
        order_problem(&limits, None, &big, cx())
            .unwrap()
            .contains("above the limit of 10")
    );

    // 10 × 1500 = 15,000.
    let limits = RiskLimits {
        max_order_value: Some(p("15000")),
        ..none()
    };
    assert_eq!(order_problem(&limits, None, &market, cx()), None);
    let limits = RiskLimits {
        max_order_value: Some(p("14999.95")),
        ..none()
    };
    assert!(
        order_problem(&limits, None, &market, cx())
            .unwrap()
            .contains("₹15,000.00")
    );

    let limits = RiskLimits {
        price_band_bp: Some(500),
        ..none()
    };
    let inside = order(1, OrderKind::Limit { price: p("1575") });
    assert_eq!(
        order_problem(&limits, None, &inside, cx()),
        None,
        "5 % exactly"
    );
    let outside = order(
        1,
        OrderKind::Limit {
            price: p("1575.05"),
        },
    );
    assert!(
        order_problem(&limits, None, &outside, cx())
            .unwrap()
            .contains("price band")
    );

    let limits = RiskLimits {
        max_open_positions: Some(2),
        ..none()
    };
    let two_open = RiskContext {
        open_positions: 2,
        ..cx()
    };
    assert!(
        order_problem(&limits, None, &market, two_open)
            .unwrap()
            .contains("2 positions")
    );

    let limits = RiskLimits {
        max_orders_per_day: Some(3),
        ..none()
    };
    let third = RiskContext {
        entries_today: 3,
        ..cx()
    };
    assert_eq!(order_problem(&limits, None, &market, third), None);
    let fourth = RiskContext {
        entries_today: 4,
        ..cx()
    };
    assert!(
        order_problem(&limits, None, &market, fourth)
            .unwrap()
            .contains("3 orders")
    );

    let limits = RiskLimits {
        max_daily_loss: Some(p("5000")),
        ..none()
    };
    let losing = RiskContext {
        day_pnl: p("-4999"),
        ..cx()
    };
    assert_eq!(order_problem(&limits, None, &market, losing), None);
    let lost = RiskContext {
        day_pnl: p("-5000"),
        ..cx()
    };
    assert!(
        order_problem(&limits, None, &market, lost)
            .unwrap()
            .contains("₹5,000.00")
    );
}

#[test]
fn the_kill_switch_stops_entries_but_never_an_exit() {
    let switch = KillSwitch {
        engaged_ms: 1,
        squared_off: false,
    };
    let market = order(1, OrderKind::Market);
    assert!(
        order_problem(&none(), Some(&switch), &market, cx())
            .unwrap()
            .contains("kill switch")
    );
    let mut exit = order(1_000_000, OrderKind::Market);
    exit.closes = Some(TradeId(4));
    let strict = RiskLimits {
        max_order_quantity: Some(1),
        ..RiskLimits::default()
    };
    assert_eq!(order_problem(&strict, Some(&switch), &exit, cx()), None);
}

#[test]
fn without_a_live_price_a_market_order_is_not_guessed_at() {
    let limits = RiskLimits::default();
    let blind = RiskContext { ltp: None, ..cx() };
    assert!(
        order_problem(&limits, None, &order(1, OrderKind::Market), blind)
            .unwrap()
            .contains("no live price")
    );
}
