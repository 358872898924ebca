//! The matching engine against a hand-moved market.

use std::sync::Arc;

use osp_core::model::{InstrumentToken, MarketSnapshot, Price};
use osp_core::services::prices::{DemoMarket, demo_instruments};

use super::*;
use osp_core::testing::ManualClock;

const INFY: InstrumentToken = InstrumentToken(408_065);

fn p(s: &str) -> Price {
    Price::parse(s).unwrap()
}

struct Fixture {
    broker: SimBroker,
    market: DemoMarket,
}

impl Fixture {
    fn new() -> Self {
        let mut market = DemoMarket::new(1, demo_instruments(), 0);
        market.set_last_price(INFY, p("1500"), 0);
        Self {
            broker: SimBroker::new(
                Arc::new(Universe::generate(1, 0)),
                BrokerConfig::default(),
                Arc::new(ManualClock::at(1_780_000_000_000)),
            ),
            market,
        }
    }
    fn snap(&self) -> MarketSnapshot {
        self.market.snapshot()
    }
    fn move_to(&mut self, price: &str) {
        self.market.set_last_price(INFY, p(price), 0);
        let snap = self.snap();
        self.broker.on_market(&snap);
    }
    fn status(&self, id: &str) -> String {
        self.broker
            .orders()
            .into_iter()
            .find(|o| o.order_id == id)
            .unwrap()
            .status
    }
}

fn order(side: TransactionType, kind: OrderType, qty: u32) -> OrderParams {
    let mut order = OrderParams::new("NSE", "INFY", side, kind, Product::Mis, qty);
    order.tag = Some("t1".into());
    order
}

#[test]
fn a_market_order_fills_at_the_touch_with_kites_status_sequence() {
    let f = Fixture::new();
    let mut updates = f.broker.subscribe_updates();
    let id = f
        .broker
        .place(
            order(TransactionType::Buy, OrderType::Market, 10),
            &f.snap(),
        )
        .unwrap();
    let history: Vec<String> = f
        .broker
        .order_history(&id)
        .unwrap()
        .into_iter()
        .map(|o| o.status)
        .collect();
    assert_eq!(
        history,
        [
            "PUT ORDER REQ RECEIVED",
            "VALIDATION PENDING",
            "OPEN PENDING",
            "OPEN",
            "COMPLETE"
        ]
    );
    let trades = f.broker.trades(Some(&id));
    assert_eq!(trades.len(), 1);
    assert_eq!(trades[0].average_price, p("1500"));
    assert_eq!(trades[0].quantity, 10);
    let positions = f.broker.positions(&f.snap());
    assert_eq!(positions.net[0].quantity, 10);
    assert_eq!(positions.net[0].average_price, p("1500"));
    assert_eq!(updates.try_recv().unwrap().order.status, "OPEN");
    let done = updates.try_recv().unwrap();
    assert_eq!(done.order.status, "COMPLETE");
    assert_eq!(done.order.tag.as_deref(), Some("t1"));
}

#[test]
fn a_limit_order_rests_until_the_market_crosses_and_fills_at_its_price() {
    let mut f = Fixture::new();
    let mut buy = order(TransactionType::Buy, OrderType::Limit, 5);
    buy.price = Some(p("1490"));
    let id = f.broker.place(buy, &f.snap()).unwrap();
    assert_eq!(f.status(&id), "OPEN");
    f.move_to("1495");
    assert_eq!(f.status(&id), "OPEN");
    f.move_to("1488.5");
    assert_eq!(f.status(&id), "COMPLETE");
    assert_eq!(f.broker.trades(Some(&id))[0].average_price, p("1490"));
}

#[test]
fn a_stop_waits_for_its_trigger() {
    let mut f = Fixture::new();
    let mut stop = order(TransactionType::Sell, OrderType::SlM, 3);
    stop.trigger_price = Some(p("1480"));
    let id = f.broker.place(stop, &f.snap()).unwrap();
    assert_eq!(f.status(&id), "TRIGGER PENDING");
    f.move_to("1481");
    assert_eq!(f.status(&id), "TRIGGER PENDING");
    f.move_to("1479.95");
    assert_eq!(f.status(&id), "COMPLETE");
    assert_eq!(f.broker.trades(Some(&id))[0].average_price, p("1479.95"));
    let pos = &f.broker.positions(&f.snap()).net[0];
    assert_eq!(pos.quantity, -3);
}

#[test]
fn modify_and_cancel_follow_kites_rules() {
    let mut f = Fixture::new();
    let mut buy = order(TransactionType::Buy, OrderType::Limit, 5);
    buy.price = Some(p("1400"));
    let id = f.broker.place(buy, &f.snap()).unwrap();
    let change = ModifyParams {
        quantity: Some(9),
        price: Some(p("1400.03")),
        ..Default::default()
    };
    let refused = f.broker.modify(&id, "regular", change, &f.snap());
    assert!(matches!(refused, Err(BrokerError::Input(m)) if m.contains("tick size")));
    let untouched = f
        .broker
        .orders()
        .into_iter()
        .find(|o| o.order_id == id)
        .unwrap();
    assert_eq!(
        (untouched.quantity, untouched.price),
        (5, p("1400")),
        "a refused modification changes nothing"
    );
    let change = ModifyParams {
        price: Some(p("1500")),
        ..Default::default()
    };
    f.broker.modify(&id, "regular", change, &f.snap()).unwrap();
    assert_eq!(
        f.status(&id),
        "COMPLETE",
        "a modification that crosses fills"
    );
    assert!(matches!(
        f.broker.cancel(&id, "regular"),
        Err(BrokerError::Order(m)) if m.contains("complete")
    ));

    let mut sell = order(TransactionType::Sell, OrderType::Limit, 5);
    sell.price = Some(p("1600"));
    let id = f.broker.place(sell, &f.snap()).unwrap();
    f.broker.cancel(&id, "regular").unwrap();
    assert_eq!(f.status(&id), "CANCELLED");
    f.move_to("1700");
    assert_eq!(f.status(&id), "CANCELLED", "a cancelled order never fills");
    assert!(matches!(
        f.broker.cancel("nope", "regular"),
        Err(BrokerError::Order(_))
    ));
}

#[test]
fn refusals_name_what_is_wrong() {
    let f = Fixture::new();
    let mut index = order(TransactionType::Buy, OrderType::Market, 1);
    index.tradingsymbol = "NIFTY 50".into();
    assert!(
        matches!(f.broker.place(index, &f.snap()), Err(BrokerError::Input(m)) if m.contains("index"))
    );
    let mut unknown = order(TransactionType::Buy, OrderType::Market, 1);
    unknown.tradingsymbol = "NOPE".into();
    assert!(
        matches!(f.broker.place(unknown, &f.snap()), Err(BrokerError::Input(m)) if m.contains("tradingsymbol"))
    );
    let no_price = order(TransactionType::Buy, OrderType::Limit, 1);
    assert!(
        matches!(f.broker.place(no_price, &f.snap()), Err(BrokerError::Input(m)) if m.contains("`price`"))
    );
    let mut too_big = order(TransactionType::Buy, OrderType::Market, 100_000);
    too_big.product = Product::Cnc;
    assert!(
        matches!(f.broker.place(too_big, &f.snap()), Err(BrokerError::Margin(m)) if m.contains("Insufficient funds"))
    );
    assert!(
        f.broker.orders().is_empty(),
        "refused orders are not in the book"
    );
}

#[test]
fn an_sl_m_order_on_an_option_is_refused_as_kite_refuses_it() {
    let f = Fixture::new();
    let universe = Universe::generate(1, 0);
    let csv = universe.dump_csv(Some("NFO"));
    let option = csv
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            fields.contains(&"CE").then(|| fields[2].to_owned())
        })
        .next()
        .expect("the simulator lists options");
    let mut slm = order(TransactionType::Sell, OrderType::SlM, 1);
    slm.exchange = "NFO".into();
    slm.tradingsymbol = option.clone();
    let lot = universe.by_symbol("NFO", &option).unwrap().lot_size;
    slm.quantity = lot;
    slm.trigger_price = Some(p("1"));
    assert!(
        matches!(f.broker.place(slm.clone(), &f.snap()), Err(BrokerError::Input(m)) if m.contains("SL-M orders are blocked for options")),
        "{option}"
    );
    assert!(f.broker.orders().is_empty());
}

#[test]
fn intraday_positions_are_squared_off_by_kite_from_1520_ist_once_a_day() {
    let at = |text: &str| crate::clock_text::parse_kite_date(text).unwrap() * 1000;
    let clock = Arc::new(ManualClock::at(at("2026-06-01 15:19:00")));
    let broker = SimBroker::new(
        Arc::new(Universe::generate(1, 0)),
        BrokerConfig::default(),
        clock.clone(),
    );
    let mut market = DemoMarket::new(1, demo_instruments(), 0);
    market.set_last_price(INFY, p("1500"), 0);
    let snap = market.snapshot();
    broker
        .place(order(TransactionType::Buy, OrderType::Market, 5), &snap)
        .unwrap();
    let mut cnc = order(TransactionType::Buy, OrderType::Market, 3);
    cnc.product = Product::Cnc;
    broker.place(cnc, &snap).unwrap();
    let mut stop = order(TransactionType::Sell, OrderType::SlM, 5);
    stop.trigger_price = Some(p("1480"));
    let stop = broker.place(stop, &snap).unwrap();
    let net = |product: &str| {
        broker
            .positions(&market.snapshot())
            .net
            .iter()
            .filter(|p| p.product == product)
            .map(|p| p.quantity)
            .sum::<i64>()
    };
    broker.on_market(&snap);
    assert_eq!(
        (net("MIS"), net("CNC")),
        (5, 3),
        "before 15:20 nothing happens"
    );

    clock.set(at("2026-06-01 15:20:00"));
    broker.on_market(&snap);
    assert_eq!(
        (net("MIS"), net("CNC")),
        (0, 3),
        "MIS squared off, CNC kept"
    );
    let orders = broker.orders();
    let stop = orders.iter().find(|o| o.order_id == stop).unwrap();
    assert_eq!(
        stop.status, "CANCELLED",
        "the open MIS order is cancelled first"
    );
    let kites = orders.last().unwrap();
    assert_eq!(
        (
            kites.transaction_type.as_str(),
            kites.quantity,
            kites.status.as_str(),
            kites.tag.as_deref()
        ),
        ("SELL", 5, "COMPLETE", None),
        "Kite's own market order, with no tag"
    );

    // Later the same day (the demo trades round the clock) a new position waits for tomorrow.
    clock.set(at("2026-06-01 15:40:00"));
    broker
        .place(order(TransactionType::Buy, OrderType::Market, 2), &snap)
        .unwrap();
    broker.on_market(&snap);
    assert_eq!(net("MIS"), 2);
    clock.set(at("2026-06-02 15:19:59"));
    broker.on_market(&snap);
    assert_eq!(net("MIS"), 2);
    clock.set(at("2026-06-02 15:21:00"));
    broker.on_market(&snap);
    assert_eq!(net("MIS"), 0);
}
