//! The order executor against the Kite simulator (through the real REST client and the Kite
//! broker adapter) with intents in a real database: a crash between any two steps gives
//! exactly one order; broker faults end every intent in a final state with a reason, and no
//! order is sent twice.

use std::sync::Arc;
use std::time::Duration;

use kite_connect::broker::KiteBroker;
use kite_connect::common::urls::KiteEndpoints;
use kite_connect::http::{KiteClient, KiteClientConfig};
use kite_sim::RestFault;
use osp_core::model::{
    Exchange, IntentState, OrderIntent, OrderKind, OrderRequest, OrderSide, OrderTag, ProductKind,
    RiskLimits,
};
use osp_core::ports::{Broker, Clock, IntentStore, MarketData};
use osp_core::services::instruments::InstrumentCatalog;
use osp_core::services::trading::{
    BrokerSession, EntryCount, LOST_ANSWER_SETTLE_MS, OrderExecutor, Portfolio, PreTradeCheck,
    RiskGate, RiskState,
};
use osp_core::testing::ManualClock;
use osp_server::clock::SystemClock;
use osp_server::database::Database;

use crate::helpers::{
    TestApp, drop_postgres_database, postgres_database, spawn_app, sqlite_database,
};

/// A Kite broker on the demo simulator with a short timeout, so a hung answer is quick.
fn broker(app: &TestApp) -> Arc<KiteBroker> {
    let mut config = KiteClientConfig::new(
        KiteEndpoints::simulator(&format!("http://{}", app.simulator_addr)),
        osp_server::kite::demo::DEMO_API_KEY,
    );
    config.timeout = Duration::from_secs(1);
    let client = KiteClient::new(config).unwrap();
    client.set_access_token(app.access_token.clone());
    Arc::new(KiteBroker::new(Arc::new(client)))
}

/// An executor as the server builds one: the account's risk gate (here with no limits set and
/// the switch off) and a standing broker session.
fn executor(app: &TestApp, db: &Database, broker: &Arc<KiteBroker>) -> OrderExecutor {
    executor_on(app, db, broker, Arc::new(SystemClock))
}

/// An executor on `clock` (a manual one moves past the lost-answer settle time at once).
fn executor_on(
    app: &TestApp,
    db: &Database,
    broker: &Arc<KiteBroker>,
    clock: Arc<dyn Clock>,
) -> OrderExecutor {
    let gate = RiskGate {
        state: Arc::new(RiskState::new(RiskLimits::NONE, None)),
        intents: Arc::new(db.clone()) as Arc<dyn IntentStore>,
        portfolio: Arc::new(Portfolio::holding([])),
        entries: EntryCount::default(),
        market: app.prices.clone() as Arc<dyn MarketData>,
        catalog: Arc::new(InstrumentCatalog::default()),
        clock: clock.clone(),
        stored: None,
    };
    OrderExecutor::new(
        Arc::new(db.clone()) as Arc<dyn IntentStore>,
        broker.clone() as Arc<dyn Broker>,
        clock.clone(),
        Arc::new(gate) as Arc<dyn PreTradeCheck>,
        Arc::new(BrokerSession::new(clock)),
    )
}

fn buy(symbol: &str, quantity: u32) -> OrderRequest {
    OrderRequest {
        exchange: Exchange::Nse,
        tradingsymbol: symbol.to_owned(),
        side: OrderSide::Buy,
        quantity,
        kind: OrderKind::Market,
        product: ProductKind::Intraday,
        // Replaced by the executor's own unique tag.
        tag: OrderTag::parse("placeholder").unwrap(),
    }
}

async fn orders_tagged(app: &TestApp, tag: &OrderTag) -> usize {
    app.kite
        .orders()
        .await
        .unwrap()
        .iter()
        .filter(|o| o.tag.as_deref() == Some(tag.as_str()))
        .count()
}

/// A limit buy of INFY 3 % under the market, placed and resting at the broker; and its limit.
async fn resting_buy(
    app: &TestApp,
    executor: &OrderExecutor,
    quantity: u32,
) -> (OrderIntent, osp_core::model::Price) {
    let ltp = app.kite.ltp(&["NSE:INFY"]).await.unwrap()["NSE:INFY"].last_price;
    let below = ltp.raw() - ltp.raw() * 3 / 100;
    let limit = osp_core::model::Price::from_raw(below - below.rem_euclid(500));
    let mut request = buy("INFY", quantity);
    request.kind = OrderKind::Limit { price: limit };
    let placed = executor.submit(None, request).await.unwrap();
    assert_eq!(placed.state, IntentState::Placed);
    (placed, limit)
}

/// Brings an intent to its final state from the broker's book (what order updates would do).
async fn settle(
    executor: &OrderExecutor,
    broker: &KiteBroker,
    intent: &OrderIntent,
) -> OrderIntent {
    let mut current = intent.clone();
    for _ in 0..50 {
        if current.state.is_final() {
            return current;
        }
        if let Some(order) = broker.order_by_tag(&intent.request.tag).await.unwrap() {
            current = executor.on_order_update(&order).await.unwrap().unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("intent {} did not settle: {current:?}", intent.id);
}

async fn crash_between_each_step(db: &Database, app: &TestApp) {
    let broker = broker(app);

    // 1. Recorded, then the process dies before sending.
    let first = executor(app, db, &broker)
        .record(None, buy("SBIN", 1))
        .await
        .unwrap();
    assert_eq!(orders_tagged(app, &first.request.tag).await, 0);
    let restarted = executor(app, db, &broker);
    let after = restarted.reconcile_pending().await.unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(
        after[0].state,
        IntentState::Placed,
        "sent once after the restart"
    );
    assert_eq!(orders_tagged(app, &first.request.tag).await, 1);

    // 2. Sent (the broker has it), then the process dies before the answer is written.
    let second = executor(app, db, &broker)
        .record(None, buy("INFY", 2))
        .await
        .unwrap();
    let order_id = broker.place_order(&second.request).await.unwrap();
    let restarted = executor(app, db, &broker);
    let after = restarted.reconcile_pending().await.unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(
        after[0].broker_order_id.as_deref(),
        Some(order_id.as_str()),
        "adopted"
    );
    assert_eq!(
        orders_tagged(app, &second.request.tag).await,
        1,
        "not sent again"
    );

    // 3. Answer written, then the process dies: nothing is left to do.
    let third = executor(app, db, &broker)
        .submit(None, buy("TCS", 1))
        .await
        .unwrap();
    assert_eq!(third.state, IntentState::Placed);
    let restarted = executor(app, db, &broker);
    assert!(restarted.reconcile_pending().await.unwrap().is_empty());
    assert_eq!(orders_tagged(app, &third.request.tag).await, 1);

    // Every one ends filled, with its entry price.
    for intent in [&first, &second, &third] {
        let stored = db.by_tag(&intent.request.tag).await.unwrap().unwrap();
        let done = settle(&restarted, &broker, &stored).await;
        assert_eq!(done.state, IntentState::Filled);
        assert!(done.average_price.is_some());
        assert_eq!(done.filled_quantity, intent.request.quantity);
    }
}

#[tokio::test]
async fn a_crash_between_any_two_steps_gives_exactly_one_order_on_sqlite() {
    let app = spawn_app().await;
    let (db, _dir) = sqlite_database().await;
    crash_between_each_step(&db, &app).await;
    db.close().await;
    app.stop().await;
}

#[tokio::test]
async fn a_crash_between_any_two_steps_gives_exactly_one_order_on_postgres() {
    let app = spawn_app().await;
    let (db, name) = postgres_database().await;
    crash_between_each_step(&db, &app).await;
    db.close().await;
    drop_postgres_database(&name).await;
    app.stop().await;
}

#[tokio::test]
async fn broker_faults_end_every_intent_final_with_a_reason_and_none_twice() {
    let app = spawn_app().await;
    let (db, _dir) = sqlite_database().await;
    let broker = broker(&app);
    let clock = Arc::new(ManualClock::at(SystemClock.now_ms()));
    let executor = executor_on(&app, &db, &broker, clock.clone());

    // 503 on the placement: Kite may or may not have acted, so the client says "uncertain" at
    // once and the executor alone resolves it by tag. The book has no such order: pending until
    // the book has had its settle time, then final with the reason, and never sent again.
    app.simulator
        .fail_next_placements(1, RestFault::ServerError);
    let unavailable = executor.submit(None, buy("SBIN", 1)).await.unwrap();
    assert_eq!(unavailable.state, IntentState::Pending);
    assert!(executor.awaiting_answers());
    let early = executor.reconcile_pending().await.unwrap();
    assert_eq!(early[0].state, IntentState::Pending, "the book may lag");
    clock.advance(LOST_ANSWER_SETTLE_MS);
    let settled = executor.reconcile_pending().await.unwrap();
    assert_eq!(settled[0].state, IntentState::Rejected);
    let reason = settled[0].reason.clone().unwrap();
    assert!(reason.starts_with("not sent"), "{reason}");
    assert!(reason.contains("answer to this order was lost"), "{reason}");
    assert_eq!(orders_tagged(&app, &unavailable.request.tag).await, 0);
    assert!(!executor.awaiting_answers());

    // 429: Kite refused it without acting, so the client may try again: placed once.
    app.simulator
        .fail_next_placements(1, RestFault::TooManyRequests);
    let throttled = executor.submit(None, buy("SBIN", 1)).await.unwrap();
    assert_eq!(throttled.state, IntentState::Placed);
    assert_eq!(orders_tagged(&app, &throttled.request.tag).await, 1);

    // The placement takes effect but its answer is lost (longer than the client's timeout):
    // uncertain at once, then adopted by tag as soon as the book shows it; never placed twice.
    app.simulator
        .fail_next_placements(1, RestFault::Hang(Duration::from_secs(2)));
    let lost = executor.submit(None, buy("INFY", 3)).await.unwrap();
    assert_eq!(lost.state, IntentState::Pending, "reported at once");
    // The fault answers only after the placement took effect: the book has it already.
    let adopted = executor
        .reconcile_pending()
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.id == lost.id && i.state != IntentState::Pending);
    let adopted = adopted.expect("the order is found by its tag");
    assert!(adopted.broker_order_id.is_some());
    assert_eq!(orders_tagged(&app, &lost.request.tag).await, 1);
    // Reconciling again changes nothing and sends nothing.
    assert!(executor.reconcile_pending().await.unwrap().is_empty());
    assert_eq!(orders_tagged(&app, &lost.request.tag).await, 1);

    // The broker rejects the order itself (an instrument it does not know): final, its words.
    let refused = executor.submit(None, buy("NOSUCHSTOCK", 1)).await.unwrap();
    assert_eq!(refused.state, IntentState::Rejected);
    assert!(!refused.reason.clone().unwrap().starts_with("not sent"));

    let settled = settle(&executor, &broker, &lost).await;
    assert_eq!(settled.state, IntentState::Filled);
    assert!(
        db.pending().await.unwrap().is_empty(),
        "nothing left pending"
    );
    db.close().await;
    app.stop().await;
}

#[tokio::test]
async fn an_open_order_whose_updates_were_missed_is_caught_up_from_the_broker() {
    let app = spawn_app().await;
    let (db, _dir) = sqlite_database().await;
    let broker = broker(&app);
    let executor = executor(&app, &db, &broker);
    let (placed, limit) = resting_buy(&app, &executor, 4).await;
    assert!(
        executor.sync_open().await.unwrap().is_empty(),
        "still open at the broker: nothing to change"
    );

    // The market trades through the limit; no order update reaches the executor.
    let through = osp_core::model::Price::from_raw(limit.raw() - limit.raw() / 100);
    assert!(app.sim.set_last_price(408_065, through));
    let changed = executor.sync_open().await.unwrap();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(changed[0].id, placed.id);
    assert_eq!(changed[0].state, IntentState::Filled);
    assert_eq!(changed[0].filled_quantity, 4);
    assert!(changed[0].average_price.is_some());
    let stored = db.by_tag(&placed.request.tag).await.unwrap().unwrap();
    assert_eq!(stored, changed[0], "the caught-up state is what is stored");
    assert!(
        executor.sync_open().await.unwrap().is_empty(),
        "nothing open now"
    );
    app.stop().await;
}

/// An order known by its id is read from its own history: bringing it up to date (after a
/// cancel, before an exit) does not read the day's whole book, which grows with every order.
/// An id Kite does not know falls back to the book, by tag.
#[tokio::test]
async fn an_order_known_by_its_id_is_read_alone_not_with_the_whole_book() {
    let app = spawn_app().await;
    let (db, _dir) = sqlite_database().await;
    let broker = broker(&app);
    let executor = executor(&app, &db, &broker);
    let (placed, _) = resting_buy(&app, &executor, 3).await;
    let cancelled = executor.cancel(&placed, "cancelled by the test").await;
    assert!(cancelled.is_ok(), "{cancelled:?}");

    let reads = app.simulator.book_reads();
    let fresh = executor.refresh(&placed).await.unwrap();
    assert_eq!(fresh.state, IntentState::Cancelled, "{fresh:?}");
    // Kite's cancelled order carries no message: the record keeps why it was cancelled.
    assert_eq!(fresh.reason.as_deref(), Some("cancelled by the test"));
    assert_eq!(app.simulator.book_reads(), reads, "the whole book was read");

    let order_id = placed.broker_order_id.clone().unwrap();
    let unknown = broker
        .find_order(&placed.request, Some("999999999999"))
        .await
        .unwrap()
        .expect("found by its tag");
    assert_eq!(unknown.order_id, order_id);
    assert_eq!(app.simulator.book_reads(), reads + 1, "the book, by tag");
    app.stop().await;
}

#[tokio::test]
async fn the_kill_switch_cancels_open_entry_orders_at_the_broker() {
    let app = spawn_app().await;
    let (db, _dir) = sqlite_database().await;
    let broker = broker(&app);
    let executor = executor(&app, &db, &broker);
    let (placed, _) = resting_buy(&app, &executor, 2).await;

    let (cancelled, problems) = executor.cancel_open_entries().await.unwrap();
    assert_eq!((cancelled, problems), (1, Vec::<String>::new()));
    let settled = settle(&executor, &broker, &placed).await;
    assert_eq!(settled.state, IntentState::Cancelled, "{settled:?}");
    assert_eq!(
        executor.cancel_open_entries().await.unwrap(),
        (0, Vec::new()),
        "nothing open any more"
    );
    app.stop().await;
}
