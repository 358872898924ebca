//! The level store on both backends: a trigger is a compare-and-set written with its log
//! entry, a re-arm likewise, deletes are undoable, the log reads newest first; and the order
//! book lists intents newest first; trades are compare-and-set, and an exit is recorded with
//! its order or not at all.

use osp_core::model::{
    Confirmation, Direction, Distance, Exchange, ExitReason, InstrumentToken, IntentState,
    LastTrigger, Level, LevelId, LevelLogEntry, LevelLogKind, LevelOrderType, LevelTrigger,
    OrderIntent, OrderKind, OrderRequest, OrderSide, OrderTag, Price, ProductKind, Rearm, Trade,
    TradeId, TradeState,
};
use osp_core::ports::{IntentStore, LevelStore, TradeStore};
use osp_server::database::Database;

use crate::helpers::{drop_postgres_database, postgres_database, sqlite_database};

fn level(price: &str) -> Level {
    Level {
        id: LevelId(0),
        token: InstrumentToken(408_065),
        exchange: Exchange::Nse,
        tradingsymbol: "INFY".to_owned(),
        price: Price::parse(price).unwrap(),
        trigger: LevelTrigger::Either,
        on_up: Some(OrderSide::Buy),
        on_down: Some(OrderSide::Sell),
        quantity: 5,
        product: ProductKind::Intraday,
        order: LevelOrderType::Limit {
            offset: Price::parse("0.50").unwrap(),
        },
        target: Some(Distance::BasisPoints(150)),
        stop_loss: Some(Distance::Points(Price::parse("7.25").unwrap())),
        trailing_stop: None,
        confirmation: Confirmation::Ticks { count: 3 },
        rearm: Rearm::Daily,
        window: None,
        enabled: true,
        note: "breakout".to_owned(),
    }
}

fn log_entry(id: LevelId, kind: LevelLogKind, at_ms: i64) -> LevelLogEntry {
    LevelLogEntry {
        id: 0,
        level: id,
        kind,
        direction: Some(Direction::Up),
        price: Price::parse("1512.35").unwrap(),
        at_ms,
        detail: format!("{kind:?} at {at_ms}"),
    }
}

async fn levels_round_trip(db: &Database) {
    let stored = LevelStore::insert(db, &level("1500"), 10).await.unwrap();
    let id = stored.level.id;
    assert!(id.0 > 0);
    assert!(stored.armed);
    assert_eq!(
        stored.level,
        Level {
            id,
            ..level("1500")
        },
        "stored whole"
    );
    assert_eq!(db.levels().await.unwrap(), std::slice::from_ref(&stored));

    let trigger = LastTrigger {
        direction: Direction::Up,
        price: Price::parse("1500.05").unwrap(),
        at_ms: 20,
    };
    let crossed = log_entry(id, LevelLogKind::Crossed, 20);
    let fired = log_entry(id, LevelLogKind::Triggered, 20);
    // The trigger, the crossing that led to it and its pending order are written together.
    let mut order = pending_intent(Some(id), "trig1", 20);
    assert!(
        db.record_trigger(
            id,
            trigger,
            &[crossed.clone(), fired.clone()],
            Some(&mut order)
        )
        .await
        .unwrap()
    );
    assert!(order.id > 0, "the order's id is set");
    assert_eq!(
        IntentStore::by_tag(db, &order.request.tag).await.unwrap(),
        Some(order.clone())
    );
    let mut second = pending_intent(Some(id), "trig2", 21);
    assert!(
        !db.record_trigger(id, trigger, std::slice::from_ref(&fired), Some(&mut second))
            .await
            .unwrap(),
        "a disarmed level cannot fire again"
    );
    assert_eq!(
        IntentStore::by_tag(db, &second.request.tag).await.unwrap(),
        None,
        "and its order is not recorded"
    );
    let now = db.level(id).await.unwrap().unwrap();
    assert!(!now.armed);
    assert_eq!(now.last_trigger, Some(trigger));
    let log = db.log(Some(id), 10).await.unwrap();
    assert_eq!(log.len(), 2, "the crossing and its trigger: {log:?}");
    assert_eq!(log[0].kind, LevelLogKind::Triggered, "newest first");
    assert_eq!(log[0].price, fired.price);
    assert_eq!(log[1].kind, LevelLogKind::Crossed);

    let rearmed = log_entry(id, LevelLogKind::Rearmed, 30);
    assert!(db.record_rearm(id, &rearmed).await.unwrap());
    assert!(
        !db.record_rearm(id, &rearmed).await.unwrap(),
        "already armed"
    );
    assert!(db.level(id).await.unwrap().unwrap().armed);

    // An order that cannot be recorded (its tag is taken) rolls the whole trigger back.
    let mut taken = pending_intent(Some(id), "trig1", 35);
    assert!(
        db.record_trigger(id, trigger, std::slice::from_ref(&fired), Some(&mut taken))
            .await
            .is_err()
    );
    assert!(db.level(id).await.unwrap().unwrap().armed, "still armed");
    assert_eq!(
        db.log(Some(id), 10).await.unwrap().len(),
        3,
        "no entry written"
    );

    // A disabled level cannot be fired; enabling it again can.
    let off = db.set_enabled(id, false, 40).await.unwrap().unwrap();
    assert!(!off.level.enabled);
    assert!(
        !db.record_trigger(id, trigger, std::slice::from_ref(&fired), None)
            .await
            .unwrap()
    );
    db.set_enabled(id, true, 41).await.unwrap().unwrap();

    // An edit replaces the definition and arms the level again — only over the level as the
    // editor saw it: one that triggered since the form opened is left as it is.
    let before_trigger = db.level(id).await.unwrap().unwrap().updated_ms;
    db.record_trigger(id, trigger, std::slice::from_ref(&fired), None)
        .await
        .unwrap();
    let mut edited = level("1510");
    edited.id = id;
    assert!(
        LevelStore::update(db, &edited, before_trigger, 49)
            .await
            .unwrap()
            .is_none(),
        "an edit from before the trigger"
    );
    let fired_level = db.level(id).await.unwrap().unwrap();
    assert!(!fired_level.armed, "still triggered, not armed again");
    let after = LevelStore::update(db, &edited, fired_level.updated_ms, 50)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.level.price, Price::parse("1510").unwrap());
    assert!(after.armed);
    assert_eq!(after.updated_ms, 50);
    let mut missing = edited.clone();
    missing.id = LevelId(id.0 + 1000);
    assert!(
        LevelStore::update(db, &missing, 50, 51)
            .await
            .unwrap()
            .is_none()
    );

    // Delete is undoable and a deleted level cannot fire.
    let other = LevelStore::insert(db, &level("1600"), 60)
        .await
        .unwrap()
        .level
        .id;
    db.append_log(&log_entry(other, LevelLogKind::Crossed, 61))
        .await
        .unwrap();
    assert!(LevelStore::delete(db, id, 70).await.unwrap());
    assert!(!LevelStore::delete(db, id, 71).await.unwrap());
    assert!(db.level(id).await.unwrap().is_none());
    assert_eq!(
        db.definition(id).await.unwrap(),
        Some(edited.clone()),
        "a deleted level still gives its trades their exits"
    );
    assert_eq!(db.levels().await.unwrap().len(), 1);
    assert!(
        !db.record_trigger(id, trigger, std::slice::from_ref(&fired), None)
            .await
            .unwrap()
    );
    let back = db.restore(id, 80).await.unwrap().unwrap();
    assert_eq!(back.level, edited);
    assert!(
        db.restore(id, 81).await.unwrap().is_none(),
        "not deleted now"
    );
    assert_eq!(
        db.levels()
            .await
            .unwrap()
            .iter()
            .map(|l| l.level.id)
            .collect::<Vec<_>>(),
        [id, other],
        "oldest first"
    );

    // The log reads newest first, per level or for all.
    let all = db.log(None, 100).await.unwrap();
    assert_eq!(all[0].level, other);
    assert_eq!(all[0].kind, LevelLogKind::Crossed);
    assert!(all.windows(2).all(|w| w[0].id > w[1].id));
    assert_eq!(db.log(None, 2).await.unwrap().len(), 2);
    assert!(
        db.log(Some(id), 100)
            .await
            .unwrap()
            .iter()
            .all(|e| e.level == id)
    );
}

/// A market buy of one INFY for `level`, pending, tagged `tag`, recorded at `at_ms`.
pub(crate) fn pending_intent(level: Option<LevelId>, tag: &str, at_ms: i64) -> OrderIntent {
    OrderIntent {
        id: 0,
        level,
        closes: None,
        outside_exit: false,
        request: OrderRequest {
            exchange: Exchange::Nse,
            tradingsymbol: "INFY".to_owned(),
            side: OrderSide::Buy,
            quantity: 1,
            kind: OrderKind::Market,
            product: ProductKind::Intraday,
            tag: OrderTag::parse(tag).unwrap(),
        },
        state: IntentState::Pending,
        broker_order_id: None,
        filled_quantity: 0,
        average_price: None,
        reason: None,
        created_ms: at_ms,
        updated_ms: at_ms,
    }
}

async fn order_book_lists_newest_first(db: &Database) {
    for n in 0..3 {
        let intent = pending_intent(Some(LevelId(n)), &format!("book{n}"), n);
        IntentStore::insert(db, &intent).await.unwrap().unwrap();
    }
    let recent = IntentStore::recent(db, 2).await.unwrap();
    assert_eq!(
        recent.iter().map(|i| i.level).collect::<Vec<_>>(),
        [Some(LevelId(2)), Some(LevelId(1))]
    );
}

#[tokio::test]
async fn sqlite_levels_round_trip() {
    let (db, _dir) = sqlite_database().await;
    levels_round_trip(&db).await;
    order_book_lists_newest_first(&db).await;
    db.close().await;
}

#[tokio::test]
async fn postgres_levels_round_trip() {
    let (db, name) = postgres_database().await;
    levels_round_trip(&db).await;
    order_book_lists_newest_first(&db).await;
    db.close().await;
    drop_postgres_database(&name).await;
}

fn filled_entry(tag: &str, quantity: u32, at_ms: i64) -> OrderIntent {
    let mut intent = pending_intent(None, tag, at_ms);
    intent.state = IntentState::Filled;
    intent.broker_order_id = Some(format!("B-{tag}"));
    intent.filled_quantity = quantity;
    intent.request.quantity = quantity;
    intent.average_price = Some(Price::parse("1500.50").unwrap());
    intent
}

fn trade_for(entry: &OrderIntent) -> Trade {
    Trade {
        id: TradeId(0),
        version: 0,
        level: None,
        entry_intent: entry.id,
        token: InstrumentToken(408_065),
        exchange: Exchange::Nse,
        tradingsymbol: "INFY".to_owned(),
        product: ProductKind::Intraday,
        side: OrderSide::Buy,
        quantity: entry.filled_quantity,
        entry_filled: entry.filled_quantity,
        entry_price: entry.average_price.unwrap(),
        target_distance: None,
        stop_distance: Some(Distance::BasisPoints(100)),
        target: None,
        stop_loss: Some(Price::parse("1485.50").unwrap()),
        trailing: None,
        best_price: entry.average_price.unwrap(),
        state: TradeState::Open,
        exit_reason: None,
        exit_intent: None,
        exit_price: None,
        exited: 0,
        realised: Price::ZERO,
        problem: None,
        refused_exits: 0,
        protective: None,
        adopted: None,
        opened_ms: entry.updated_ms,
        updated_ms: entry.updated_ms,
        closed_ms: None,
    }
}

/// Trades: one per entry order, compare-and-set updates, an exit recorded with its order or
/// not at all, and the intents a crash left unapplied.
async fn trades_round_trip(db: &Database) {
    let mut entry = filled_entry("entry1", 5, 100);
    entry.id = IntentStore::insert(db, &entry).await.unwrap().unwrap();
    assert!(
        db.unapplied(101).await.unwrap().is_empty(),
        "a fill older than the window is history"
    );
    let unapplied = db.unapplied(0).await.unwrap();
    assert_eq!(
        unapplied.iter().map(|i| i.id).collect::<Vec<_>>(),
        [entry.id],
        "a fill with no trade"
    );

    let trade = TradeStore::insert(db, &trade_for(&entry))
        .await
        .unwrap()
        .unwrap();
    assert!(trade.id.0 > 0);
    assert_eq!(trade.version, 1);
    assert!(
        TradeStore::insert(db, &trade_for(&entry))
            .await
            .unwrap()
            .is_none(),
        "one trade per entry order"
    );
    assert!(
        db.unapplied(0).await.unwrap().is_empty(),
        "the fill is in its trade"
    );
    assert_eq!(db.trade(trade.id).await.unwrap().unwrap(), trade);
    assert_eq!(db.by_entry(entry.id).await.unwrap().unwrap(), trade);

    // Compare-and-set on the version.
    let mut moved = trade.clone();
    moved.best_price = Price::parse("1510").unwrap();
    let moved = TradeStore::update(db, &moved).await.unwrap().unwrap();
    assert_eq!(moved.version, 2);
    assert!(
        TradeStore::update(db, &trade).await.unwrap().is_none(),
        "a stale version writes nothing"
    );

    // An exit from a stale copy records neither the trade's move nor the order.
    let orders_before = IntentStore::recent(db, 50).await.unwrap().len();
    let mut stale_exit = pending_intent(None, "exitstale", 200);
    stale_exit.closes = Some(trade.id);
    let mut stale = trade.clone();
    stale.state = TradeState::Exiting;
    stale.exit_reason = Some(ExitReason::StopLoss);
    assert!(
        db.begin_exit(&stale, &mut stale_exit)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        IntentStore::recent(db, 50).await.unwrap().len(),
        orders_before,
        "rolled back together"
    );

    let mut exit = pending_intent(None, "exit1", 200);
    exit.closes = Some(trade.id);
    let mut exiting = moved.clone();
    exiting.state = TradeState::Exiting;
    exiting.exit_reason = Some(ExitReason::StopLoss);
    let exiting = db.begin_exit(&exiting, &mut exit).await.unwrap().unwrap();
    assert!(exit.id > 0);
    assert_eq!(exiting.exit_intent, Some(exit.id));
    assert_eq!(exiting.version, 3);
    let stored_exit = db.by_tag(&exit.request.tag).await.unwrap().unwrap();
    assert_eq!(
        stored_exit.closes,
        Some(trade.id),
        "the exit names its trade"
    );
    assert_eq!(db.active().await.unwrap(), std::slice::from_ref(&exiting));
    assert!(
        db.unapplied(0).await.unwrap().is_empty(),
        "a pending exit is not news yet"
    );

    // The exit fills, and the crash comes before the trade closed: it is listed to apply.
    let mut filled = stored_exit.clone();
    filled.state = IntentState::Filled;
    filled.filled_quantity = 5;
    filled.average_price = Some(Price::parse("1485").unwrap());
    assert!(
        IntentStore::update(db, &filled, &stored_exit)
            .await
            .unwrap()
    );
    assert_eq!(
        db.unapplied(0)
            .await
            .unwrap()
            .iter()
            .map(|i| i.id)
            .collect::<Vec<_>>(),
        [exit.id]
    );
    let mut closed = exiting.clone();
    closed.state = TradeState::Closed;
    closed.quantity = 0;
    closed.closed_ms = Some(300);
    let closed = TradeStore::update(db, &closed).await.unwrap().unwrap();
    assert!(db.unapplied(0).await.unwrap().is_empty());
    assert!(db.active().await.unwrap().is_empty());

    let mut second = filled_entry("entry2", 2, 400);
    second.id = IntentStore::insert(db, &second).await.unwrap().unwrap();
    let newer = TradeStore::insert(db, &trade_for(&second))
        .await
        .unwrap()
        .unwrap();
    let ids: Vec<TradeId> = TradeStore::recent(db, 10)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(ids, [newer.id, closed.id], "newest first");
}

#[tokio::test]
async fn sqlite_trades_round_trip() {
    let (db, _dir) = sqlite_database().await;
    trades_round_trip(&db).await;
    db.close().await;
}

#[tokio::test]
async fn postgres_trades_round_trip() {
    let (db, name) = postgres_database().await;
    trades_round_trip(&db).await;
    db.close().await;
    drop_postgres_database(&name).await;
}
