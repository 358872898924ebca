//! The paper broker against hand-moved prices: fills, refusals, modifications, the account,
//! and a restart.

use super::*;
use crate::model::{Exchange, Instrument, InstrumentToken, Ohlc, ProductKind};
use std::collections::HashMap;

/// Prices set by the test (the real price service needs a bus and a history source).
#[derive(Default)]
struct Prices(Mutex<HashMap<InstrumentToken, Price>>);
impl MarketData for Prices {
    fn latest(&self, tokens: &[InstrumentToken]) -> Vec<Tick> {
        let prices = self.0.lock().unwrap();
        tokens
            .iter()
            .filter_map(|t| prices.get(t).map(|p| tick(*t, *p)))
            .collect()
    }
    fn last_update_ms(&self) -> Option<i64> {
        None
    }
}

fn tick(token: InstrumentToken, price: Price) -> Tick {
    Tick {
        token,
        last_price: price,
        last_quantity: 1,
        volume: 0,
        ohlc: Ohlc::default(),
        exchange_time_ms: 0,
        depth: None,
    }
}

fn p(text: &str) -> Price {
    Price::parse(text).unwrap()
}

const SBIN: InstrumentToken = InstrumentToken(779_521);

struct FixedClock;
impl Clock for FixedClock {
    fn now_ms(&self) -> i64 {
        1_000
    }
}

/// Collects what the broker publishes.
#[derive(Default)]
struct Published(Mutex<Vec<BrokerOrder>>);
impl OrderUpdates for Published {
    fn publish(&self, order: &BrokerOrder) {
        self.0.lock().unwrap().push(order.clone());
    }
}

fn broker() -> (PaperBroker, Arc<Prices>) {
    let (b, prices, _) = broker_with(p("10000000"));
    (b, prices)
}

fn broker_with(capital: Price) -> (PaperBroker, Arc<Prices>, Arc<Published>) {
    let catalog = Arc::new(InstrumentCatalog::default());
    catalog.replace(vec![Instrument {
        token: SBIN,
        exchange_token: 3045,
        tradingsymbol: "SBIN".to_owned(),
        name: "STATE BANK OF INDIA".to_owned(),
        exchange: Exchange::Nse,
        segment: "NSE".to_owned(),
        instrument_type: "EQ".to_owned(),
        tick_size: p("0.05"),
        lot_size: 1,
        expiry: None,
        strike: Price::ZERO,
    }]);
    let prices = Arc::new(Prices::default());
    prices.0.lock().unwrap().insert(SBIN, p("800"));
    let published = Arc::new(Published::default());
    let broker = PaperBroker::new(
        prices.clone(),
        catalog,
        Arc::new(FixedClock),
        published.clone(),
        PaperSettings {
            slippage_bp: 10,
            capital,
        },
    );
    (broker, prices, published)
}

fn order(side: OrderSide, kind: OrderKind, tag: &str) -> OrderRequest {
    OrderRequest {
        exchange: Exchange::Nse,
        tradingsymbol: "SBIN".to_owned(),
        side,
        quantity: 10,
        kind,
        product: ProductKind::Intraday,
        tag: OrderTag::parse(tag).unwrap(),
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("the paper broker never waits"),
    }
}

#[test]
fn a_market_order_fills_at_once_with_slippage_against_the_trader() {
    let (b, _) = broker();
    block_on(b.place_order(&order(OrderSide::Buy, OrderKind::Market, "m1"))).unwrap();
    let filled = block_on(b.order_by_tag(&OrderTag::parse("m1").unwrap()))
        .unwrap()
        .unwrap();
    assert_eq!(filled.status, OrderStatus::Complete);
    assert_eq!(
        filled.average_price,
        Some(p("800.80")),
        "10 bp above for a buy"
    );
    block_on(b.place_order(&order(OrderSide::Sell, OrderKind::Market, "m2"))).unwrap();
    let sold = block_on(b.order_by_tag(&OrderTag::parse("m2").unwrap()))
        .unwrap()
        .unwrap();
    assert_eq!(sold.average_price, Some(p("799.20")));
}

#[test]
fn limits_and_stops_rest_until_the_price_reaches_them() {
    let (b, _) = broker();
    let limit = OrderKind::Limit { price: p("795") };
    let id = block_on(b.place_order(&order(OrderSide::Buy, limit, "l1"))).unwrap();
    assert!(b.on_tick(&tick(SBIN, p("796"))).is_empty());
    let done = b.on_tick(&tick(SBIN, p("794.50")));
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].order_id, id);
    assert_eq!(
        done[0].average_price,
        Some(p("794.50")),
        "a better price than the limit"
    );

    let stop = OrderKind::StopLossMarket { trigger: p("790") };
    block_on(b.place_order(&order(OrderSide::Sell, stop, "s1"))).unwrap();
    assert!(b.on_tick(&tick(SBIN, p("791"))).is_empty());
    let hit = b.on_tick(&tick(SBIN, p("789.95")));
    assert_eq!(hit[0].status, OrderStatus::Complete);
    // Filled orders never fill again.
    assert!(b.on_tick(&tick(SBIN, p("700"))).is_empty());
}

#[test]
fn refusals_say_why_and_cancel_only_what_is_open() {
    let (b, prices) = broker();
    let mut unknown = order(OrderSide::Buy, OrderKind::Market, "u1");
    unknown.tradingsymbol = "NOSUCH".to_owned();
    let e = block_on(b.place_order(&unknown)).unwrap_err();
    assert_eq!(e.kind, BrokerErrorKind::Rejected);
    assert!(e.message.contains("not in today's instruments list"));
    prices.0.lock().unwrap().clear();
    let e = block_on(b.place_order(&order(OrderSide::Buy, OrderKind::Market, "n1"))).unwrap_err();
    assert_eq!(e.kind, BrokerErrorKind::Unavailable);
    prices.0.lock().unwrap().insert(SBIN, p("800"));
    let resting = OrderKind::Limit { price: p("700") };
    let id = block_on(b.place_order(&order(OrderSide::Buy, resting, "c1"))).unwrap();
    block_on(b.cancel_order(&id)).unwrap();
    assert!(block_on(b.cancel_order(&id)).is_err(), "already cancelled");
    assert!(
        b.on_tick(&tick(SBIN, p("600"))).is_empty(),
        "a cancelled order never fills"
    );
    b.reset(5).unwrap();
    assert!(block_on(b.orders()).unwrap().is_empty());
    assert_eq!(b.account().since_ms, Some(5));
}

#[test]
fn a_resting_order_is_modified_and_the_account_resets_only_when_nothing_is_open() {
    let (b, prices, published) = broker_with(p("100000"));
    prices.0.lock().unwrap().insert(SBIN, p("800"));
    let id = block_on(b.place_order(&order(
        OrderSide::Buy,
        OrderKind::Limit { price: p("700") },
        "m1",
    )))
    .unwrap();
    let refused = b.reset(1).unwrap_err();
    assert!(refused.contains("1 working order"), "{refused}");
    let mut wrong = order(OrderSide::Buy, OrderKind::Limit { price: p("750") }, "m1");
    wrong.quantity = 0;
    assert!(
        block_on(b.modify_order(&id, &wrong)).is_err(),
        "nothing filled yet, but 0 is no order"
    );
    // Re-priced above the market: it fills at once, at the market (better than its limit).
    let mut change = order(OrderSide::Buy, OrderKind::Limit { price: p("810") }, "m1");
    change.quantity = 4;
    block_on(b.modify_order(&id, &change)).unwrap();
    let filled = published.0.lock().unwrap().last().cloned().unwrap();
    assert_eq!(filled.status, OrderStatus::Complete);
    assert_eq!(filled.filled_quantity, 4);
    assert_eq!(filled.average_price, Some(p("800")));
    assert_eq!(filled.kind, Some(OrderKind::Limit { price: p("810") }));
    let again = block_on(b.modify_order(&id, &change)).unwrap_err();
    assert!(again.message.contains("cannot be modified"), "{again}");
    let refused = b.reset(2).unwrap_err();
    assert!(refused.contains("1 open position"), "{refused}");
    assert_eq!(
        b.account().positions.len(),
        1,
        "a refused reset changes nothing"
    );
}

#[test]
fn a_triggered_stop_keeps_its_trigger_when_only_its_limit_changes() {
    let (b, prices, _) = broker_with(p("100000"));
    prices.0.lock().unwrap().insert(SBIN, p("800"));
    let stop = |price: &str| OrderKind::StopLoss {
        trigger: p("810"),
        price: p(price),
    };
    let id = block_on(b.place_order(&order(OrderSide::Buy, stop("810.50"), "t1"))).unwrap();
    // 812 reaches the trigger but is above the limit: it rests, triggered.
    let armed = b.on_tick(&tick(SBIN, p("812")));
    assert_eq!(armed[0].status, OrderStatus::Open);
    prices.0.lock().unwrap().insert(SBIN, p("812"));
    block_on(b.modify_order(&id, &order(OrderSide::Buy, stop("811"), "t1"))).unwrap();
    // Back under the trigger, the (still triggered) limit fills at the better price.
    let filled = b.on_tick(&tick(SBIN, p("809")));
    assert_eq!(filled[0].status, OrderStatus::Complete);
    assert_eq!(filled[0].average_price, Some(p("809")));
}

#[test]
fn fills_are_published_and_build_positions_realised_profit_and_free_capital() {
    // ₹10,000 of capital; SBIN at 800 with 10 bp slippage: 10 units cost 8,008.
    let (b, prices, published) = broker_with(p("10000"));
    block_on(b.place_order(&order(OrderSide::Buy, OrderKind::Market, "b1"))).unwrap();
    assert_eq!(
        published.0.lock().unwrap().len(),
        1,
        "the fill is published"
    );
    let account = b.account();
    assert_eq!(
        account.positions,
        [(
            SBIN,
            PaperPosition {
                units: 10,
                average: p("800.80")
            }
        )]
    );
    assert_eq!(account.used, p("8008"));
    assert_eq!(account.available, p("1992"));

    // A second buy of 10 does not fit; a sell that closes always does.
    let e = block_on(b.place_order(&order(OrderSide::Buy, OrderKind::Market, "b2"))).unwrap_err();
    assert_eq!(e.kind, BrokerErrorKind::Rejected);
    assert!(
        e.message.contains("not enough virtual capital"),
        "{}",
        e.message
    );
    prices.0.lock().unwrap().insert(SBIN, p("820"));
    block_on(b.place_order(&order(OrderSide::Sell, OrderKind::Market, "s1"))).unwrap();
    let account = b.account();
    assert!(account.positions.is_empty());
    // 820 less 10 bp is 819.18, down to the tick: 819.15; (819.15 - 800.80) x 10 = 183.50.
    assert_eq!(account.realised, p("183.50"));
    assert_eq!(account.available, p("10183.50"));

    // A resting limit's fill on a tick is published too.
    let resting = OrderKind::Limit { price: p("810") };
    block_on(b.place_order(&order(OrderSide::Buy, resting, "l1"))).unwrap();
    let before = published.0.lock().unwrap().len();
    assert_eq!(b.on_tick(&tick(SBIN, p("809"))).len(), 1);
    assert_eq!(published.0.lock().unwrap().len(), before + 1);
}

#[test]
fn a_restart_restores_resting_orders_and_positions() {
    let (b, _) = broker();
    let resting = OrderKind::Limit { price: p("790") };
    let id = block_on(b.place_order(&order(OrderSide::Buy, resting, "r1"))).unwrap();
    let intent = OrderIntent {
        id: 1,
        level: None,
        closes: None,
        outside_exit: false,
        request: order(OrderSide::Buy, resting, "r1"),
        state: IntentState::Placed,
        broker_order_id: Some(id.clone()),
        filled_quantity: 0,
        average_price: None,
        reason: None,
        created_ms: 0,
        updated_ms: 0,
    };
    let (fresh, _) = broker();
    fresh.restore(&[intent], &[], p("50"), Some(3));
    assert_eq!(fresh.account().realised, p("50"));
    assert_eq!(fresh.account().since_ms, Some(3));
    let found = block_on(fresh.order_by_tag(&OrderTag::parse("r1").unwrap()))
        .unwrap()
        .unwrap();
    assert_eq!((found.order_id, found.status), (id, OrderStatus::Open));
    assert_eq!(
        fresh.on_tick(&tick(SBIN, p("789"))).len(),
        1,
        "it still fills"
    );
}

#[test]
fn a_gtt_waits_across_prices_and_fires_one_leg_as_a_limit() {
    let (b, prices) = broker();
    prices.0.lock().unwrap().insert(SBIN, p("800"));
    block_on(b.place_order(&order(OrderSide::Buy, OrderKind::Market, "g0"))).unwrap();
    let oco = OrderKind::Gtt {
        stop: crate::model::GttLeg {
            trigger: p("790"),
            price: p("785"),
        },
        target: Some(crate::model::GttLeg {
            trigger: p("820"),
            price: p("820"),
        }),
    };
    let id = block_on(b.place_order(&order(OrderSide::Sell, oco, "g1"))).unwrap();
    let standing = block_on(b.order_by_tag(&OrderTag::parse("g1").unwrap()))
        .unwrap()
        .unwrap();
    assert_eq!(standing.status, OrderStatus::TriggerPending);
    assert!(b.on_tick(&tick(SBIN, p("795"))).is_empty());
    assert!(b.on_tick(&tick(SBIN, p("815"))).is_empty());
    // The stop leg fires: a sell limit at 785 placed with the price at 789, so it fills there.
    let hit = b.on_tick(&tick(SBIN, p("789")));
    assert_eq!(hit.len(), 1);
    assert_eq!(hit[0].order_id, id);
    assert_eq!(hit[0].status, OrderStatus::Complete);
    assert_eq!(hit[0].average_price, Some(p("789")));
    // Once fired, the other leg is gone.
    assert!(b.on_tick(&tick(SBIN, p("830"))).is_empty());

    // A gap past the stop's limit leaves the fired leg resting as that limit.
    let id = block_on(b.place_order(&order(OrderSide::Sell, oco, "g2"))).unwrap();
    let fired = b.on_tick(&tick(SBIN, p("780")));
    assert_eq!(fired.len(), 1, "the leg fired: an update, no fill");
    assert_eq!(fired[0].status, OrderStatus::Open);
    assert_eq!(fired[0].filled_quantity, 0);
    assert!(
        block_on(b.modify_order(&id, &order(OrderSide::Sell, oco, "g2"))).is_err(),
        "a fired GTT is not modified"
    );
    let filled = b.on_tick(&tick(SBIN, p("786")));
    assert_eq!(filled[0].average_price, Some(p("786")));
}

#[test]
fn the_paper_account_reads_as_a_statement_of_funds_orders_and_fills() {
    let (b, prices) = broker();
    prices.0.lock().unwrap().insert(SBIN, p("800"));
    block_on(b.place_order(&order(OrderSide::Buy, OrderKind::Market, "st1"))).unwrap();
    block_on(b.place_order(&order(
        OrderSide::Buy,
        OrderKind::Limit { price: p("700") },
        "st2",
    )))
    .unwrap();
    let s = block_on(b.statement())
        .unwrap()
        .expect("the paper broker keeps one");
    assert_eq!(s.funds.len(), 1);
    assert_eq!(s.funds[0].segment, "paper");
    assert_eq!(s.funds[0].available, b.account().available);
    assert_eq!(s.funds[0].used, b.account().used);
    assert!(s.holdings.is_empty());
    let statuses: Vec<&str> = s.orders.iter().map(|o| o.status.as_str()).collect();
    assert_eq!(statuses, ["COMPLETE", "OPEN"]);
    assert_eq!(s.orders[1].order_type, "LIMIT");
    assert_eq!(s.orders[1].price, p("700"));
    assert_eq!(s.orders[0].tag.as_deref(), Some("st1"));
    assert_eq!(s.trades.len(), 1, "one fill: the market order's");
    assert_eq!(s.trades[0].quantity, s.orders[0].quantity);
    assert_eq!(s.trades[0].price, s.orders[0].average_price);
}
