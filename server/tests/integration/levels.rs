//! Levels end to end on the real server: created through the server functions, watched by the
//! level worker on the live ticks of the in-process simulator, and traded through the order
//! executor against the simulator's matching engine. A crossing places exactly one order; a
//! triggered level stays triggered across a restart; a disabled level never fires; bad input is
//! refused field by field with nothing stored.

use osp_core::model::{InstrumentToken, Price};
use serde_json::{Value, json};

use crate::helpers::{TestApp, eventually, moved, problem_fields, spawn_app, spawn_app_in};

const INFY: u32 = 408_065;

fn draft(price: Price, enabled: bool) -> Value {
    json!({
        "token": INFY,
        "price": price.to_string(),
        "trigger": "up",
        "on_up": "buy",
        "on_down": null,
        "quantity": "3",
        "product": "intraday",
        "limit_offset": "",
        "target": "",
        "stop_loss": "",
        "trailing_stop": "",
        "confirmation": "cross",
        "confirmation_value": "",
        "rearm": "once",
        "rearm_distance": "",
        "window_from": "",
        "window_to": "",
        "enabled": enabled,
        "note": "breakout",
    })
}

async fn levels(app: &TestApp) -> Vec<Value> {
    let (status, view) = app.call_form("levels", &[]).await;
    assert_eq!(status, 200, "{view}");
    view["levels"].as_array().unwrap().clone()
}

fn phase_of(levels: &[Value], id: i64) -> String {
    levels
        .iter()
        .find(|l| l["stored"]["level"]["id"] == id)
        .map(|l| l["phase"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("level {id} is listed"))
}

/// Waits until the orders list satisfies `done` (at most 10 s) and returns it.
async fn wait_for_orders(app: &TestApp, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    eventually("the orders in the expected state", async || {
        let found = app.orders().await;
        done(&found).then_some(found)
    })
    .await
}

#[tokio::test]
async fn a_crossed_level_places_one_order_that_fills_and_never_fires_again_even_after_a_restart() {
    let app = spawn_app().await;
    let start = app.ltp("NSE:INFY").await;
    // Far enough that the random walk does not reach it during the test.
    let level_price = moved(start, 300);
    let (status, created) = app
        .call_json(
            "levels/create",
            json!({ "draft": draft(level_price, true) }),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["phase"], "armed");
    let id = created["stored"]["level"]["id"].as_i64().unwrap();
    // A second, disabled level at the same price must never fire.
    let (status, disabled) = app
        .call_json(
            "levels/create",
            json!({ "draft": draft(level_price, false) }),
        )
        .await;
    assert_eq!(status, 200, "{disabled}");
    assert_eq!(disabled["phase"], "disabled");
    let disabled_id = disabled["stored"]["level"]["id"].as_i64().unwrap();
    assert!(
        app.subscriptions.mode_of(InstrumentToken(INFY)).is_some(),
        "the feed follows the level's instrument"
    );

    // Let the monitor see where the market is, then go through the level.
    app.watching(INFY).await;
    app.trade_at(INFY, moved(level_price, 100)).await;
    let filled = wait_for_orders(&app, |o| o.len() == 1 && o[0]["state"] == "filled").await;
    let order = &filled[0];
    assert_eq!(order["level"], id);
    assert_eq!(order["request"]["side"], "buy");
    assert_eq!(order["request"]["quantity"], 3);
    assert_eq!(order["filled_quantity"], 3);
    assert!(order["average_price"].is_string(), "{order}");
    let tag = order["request"]["tag"].as_str().unwrap().to_owned();
    let at_broker = app.kite.orders().await.unwrap();
    assert_eq!(
        at_broker
            .iter()
            .filter(|o| o.tag.as_deref() == Some(&tag))
            .count(),
        1,
        "exactly one order at the broker"
    );

    let listed = levels(&app).await;
    assert_eq!(phase_of(&listed, id), "triggered");
    assert_eq!(phase_of(&listed, disabled_id), "disabled");
    let (status, log) = app
        .call_form("levels/log", &[("level", &id.to_string()), ("limit", "20")])
        .await;
    assert_eq!(status, 200, "{log}");
    let kinds: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["crossed", "triggered", "order_placed"], "{log}");

    // Back below and through again: a `once` level stays disarmed.
    app.trade_at(INFY, moved(level_price, -100)).await;
    app.trade_at(INFY, moved(level_price, 100)).await;
    assert_eq!(app.orders().await.len(), 1, "no second order");

    // An edit from a form opened before the trigger is refused with the reason: saving it
    // would arm the level again, for a second order at the next crossing.
    let seen_at_creation = created["stored"]["updated_ms"].as_i64().unwrap();
    let edit =
        |seen: i64| json!({ "id": id, "draft": draft(level_price, true), "seen_updated_ms": seen });
    let (status, refused) = app.call_json("levels/update", edit(seen_at_creation)).await;
    assert_eq!(status, 400, "{refused}");
    let reason = refused.to_string();
    assert!(
        reason.contains("changed while you were editing"),
        "{reason}"
    );
    assert!(reason.contains("triggered at"), "{reason}");
    assert_eq!(phase_of(&levels(&app).await, id), "triggered");

    // A restart on the same database keeps it triggered and fires nothing.
    let data = app.stop_keeping_data().await;
    let app = spawn_app_in(data, &[]).await;
    let listed = levels(&app).await;
    assert_eq!(phase_of(&listed, id), "triggered");
    let last = &listed
        .iter()
        .find(|l| l["stored"]["level"]["id"] == id)
        .unwrap()["stored"]["last_trigger"];
    assert_eq!(last["direction"], "up", "{last}");
    app.watching(INFY).await;
    app.trade_at(INFY, moved(level_price, -100)).await;
    app.trade_at(INFY, moved(level_price, 100)).await;
    assert_eq!(
        app.orders().await.len(),
        1,
        "nothing fired after the restart"
    );

    // Edited from the level as it stands now, it is armed again: the trader asked for it.
    let seen_now = listed
        .iter()
        .find(|l| l["stored"]["level"]["id"] == id)
        .unwrap()["stored"]["updated_ms"]
        .as_i64()
        .unwrap();
    let (status, edited) = app.call_json("levels/update", edit(seen_now)).await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["phase"], "armed");
    app.stop().await;
}

#[tokio::test]
async fn a_level_with_problems_is_refused_field_by_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let mut bad = draft(Price::parse("1500.02").unwrap(), true);
    bad["quantity"] = json!("three");
    bad["stop_loss"] = json!("2.5.0");
    let (status, error) = app
        .call_json("levels/create", json!({ "draft": bad }))
        .await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["kind"], "invalid");
    assert_eq!(problem_fields(&error), ["quantity", "stop_loss"], "{error}");

    // Once the form parses, the instrument's rules: the tick size, with the nearest prices.
    let (status, error) = app
        .call_json(
            "levels/create",
            json!({ "draft": draft(Price::parse("1500.02").unwrap(), true) }),
        )
        .await;
    assert_eq!(status, 400, "{error}");
    let message = error["detail"][0]["message"].as_str().unwrap();
    assert!(message.contains("1,500.00 or 1,500.05"), "{message}");

    let mut unknown = draft(Price::parse("1500").unwrap(), true);
    unknown["token"] = json!(7);
    let (status, error) = app
        .call_json("levels/create", json!({ "draft": unknown }))
        .await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["detail"][0]["field"], "instrument");

    // An index cannot be traded.
    let mut index = draft(Price::parse("25000").unwrap(), true);
    index["token"] = json!(256_265);
    let (status, error) = app
        .call_json("levels/create", json!({ "draft": index }))
        .await;
    assert_eq!(status, 400, "{error}");
    assert!(
        error["detail"][0]["message"]
            .as_str()
            .unwrap()
            .contains("index"),
        "{error}"
    );

    assert!(levels(&app).await.is_empty(), "nothing was stored");
    let (status, error) = app.call_form("levels/delete", &[("id", "99")]).await;
    assert_eq!(status, 404, "{error}");
    app.stop().await;
}

#[tokio::test]
async fn a_deleted_level_stops_watching_and_undo_brings_it_back_as_it_was() {
    let app = spawn_app().await;
    let start = app.ltp("NSE:INFY").await;
    let level_price = moved(start, 300);
    let (_, created) = app
        .call_json(
            "levels/create",
            json!({ "draft": draft(level_price, true) }),
        )
        .await;
    let id = created["stored"]["level"]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    // A level far above keeps the instrument watched: the monitor's working through a price
    // shows on it.
    let (status, far) = app
        .call_json(
            "levels/create",
            json!({ "draft": draft(moved(level_price, 2_000), true) }),
        )
        .await;
    assert_eq!(status, 200, "{far}");
    let (status, _) = app.call_form("levels/delete", &[("id", &id)]).await;
    assert_eq!(status, 200);
    assert_eq!(levels(&app).await.len(), 1, "only the far one");
    app.watching(INFY).await;
    app.trade_at(INFY, moved(level_price, 100)).await;
    assert!(
        app.orders().await.is_empty(),
        "a deleted level does not fire"
    );

    let (status, restored) = app.call_form("levels/restore", &[("id", &id)]).await;
    assert_eq!(status, 200, "{restored}");
    assert_eq!(restored["stored"]["level"]["note"], "breakout");
    assert_eq!(restored["phase"], "armed");
    assert_eq!(levels(&app).await.len(), 2);
    // Armed again: back below, then through it.
    app.trade_at(INFY, moved(level_price, -100)).await;
    app.trade_at(INFY, moved(level_price, 100)).await;
    wait_for_orders(&app, |o| o.len() == 1).await;
    app.stop().await;
}

#[tokio::test]
async fn a_level_rearms_after_the_price_moves_away_and_then_fires_again() {
    let app = spawn_app().await;
    let level_price = moved(app.ltp("NSE:INFY").await, 300);
    let mut d = draft(level_price, true);
    d["rearm"] = json!("after_move");
    d["rearm_distance"] = json!("1%");
    let (status, created) = app.call_json("levels/create", json!({ "draft": d })).await;
    assert_eq!(status, 200, "{created}");
    let id = created["stored"]["level"]["id"].as_i64().unwrap();
    app.watching(INFY).await;

    app.trade_at(INFY, moved(level_price, 20)).await;
    wait_for_orders(&app, |o| o.len() == 1).await;
    // Back below the level, but less than 1 % away: still disarmed, so the next rise is nothing.
    app.trade_at(INFY, moved(level_price, -30)).await;
    app.trade_at(INFY, moved(level_price, 20)).await;
    assert_eq!(app.orders().await.len(), 1);
    assert_eq!(phase_of(&levels(&app).await, id), "triggered");
    // 1.5 % away: armed again; the next crossing places a second order.
    app.trade_at(INFY, moved(level_price, -150)).await;
    assert_eq!(phase_of(&levels(&app).await, id), "armed");
    app.trade_at(INFY, moved(level_price, 50)).await;
    let both = wait_for_orders(&app, |o| o.len() == 2).await;
    assert_ne!(both[0]["request"]["tag"], both[1]["request"]["tag"]);
    let (_, log) = app
        .call_form("levels/log", &[("level", &id.to_string()), ("limit", "50")])
        .await;
    let rearms = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "rearmed")
        .count();
    assert_eq!(rearms, 1, "{log}");
    app.stop().await;
}

#[tokio::test]
async fn a_crossing_outside_the_active_window_is_logged_and_not_traded() {
    let app = spawn_app().await;
    let level_price = moved(app.ltp("NSE:INFY").await, 300);
    // A window that does not hold the present minute (IST).
    let now_minute = osp_core::services::market_calendar::ist_minute_of_day(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64,
    );
    let (from, to) = if now_minute < 1_380 {
        (now_minute + 30, (now_minute + 60).min(1_440))
    } else {
        (0, 60)
    };
    let clock = osp_core::services::trading::clock_text;
    let mut d = draft(level_price, true);
    d["window_from"] = json!(clock(from));
    d["window_to"] = json!(clock(to));
    let (status, created) = app.call_json("levels/create", json!({ "draft": d })).await;
    assert_eq!(status, 200, "{created}");
    let id = created["stored"]["level"]["id"].as_i64().unwrap();
    app.watching(INFY).await;
    app.trade_at(INFY, moved(level_price, 100)).await;
    let (_, log) = app
        .call_form("levels/log", &[("level", &id.to_string()), ("limit", "10")])
        .await;
    let kinds: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"skipped"), "{log}");
    assert!(!kinds.contains(&"triggered"), "{log}");
    assert!(app.orders().await.is_empty());
    assert_eq!(phase_of(&levels(&app).await, id), "armed");
    app.stop().await;
}

/// What the level trader writes before it sends anything (the trigger, its log entry and the
/// pending order, in one transaction) at `at_ms`, written straight into the stopped app's
/// database; then the process dies.
async fn record_a_trigger_then_crash(
    data: &tempfile::TempDir,
    id: osp_core::model::LevelId,
    level_price: Price,
    tag: &str,
    at_ms: i64,
) {
    use osp_core::model::{Direction, LastTrigger, LevelLogEntry, LevelLogKind};
    use osp_core::ports::LevelStore;

    let db = osp_server::database::Database::connect(&osp_server::config::DatabaseSettings {
        url: secrecy::SecretString::from(format!(
            "sqlite://{}",
            data.path().join("osp.db").display()
        )),
        max_connections: 1,
    })
    .await
    .unwrap();
    let mut order = crate::level_store::pending_intent(Some(id), tag, at_ms);
    let trigger = LastTrigger {
        direction: Direction::Up,
        price: level_price,
        at_ms,
    };
    let fired = LevelLogEntry {
        id: 0,
        level: id,
        kind: LevelLogKind::Triggered,
        direction: Some(Direction::Up),
        price: level_price,
        at_ms,
        detail: "upward crossing confirmed".to_owned(),
    };
    assert!(
        db.record_trigger(id, trigger, std::slice::from_ref(&fired), Some(&mut order))
            .await
            .unwrap()
    );
    db.close().await;
}

/// An app with one level above the market, stopped; then its trigger and order (tagged `tag`)
/// recorded `ago_ms` ago as the level trader writes them, and the process dead before sending.
async fn a_trigger_recorded_then_a_crash(
    tag: &str,
    ago_ms: i64,
) -> (tempfile::TempDir, osp_core::model::LevelId, Price) {
    let app = spawn_app().await;
    let level_price = moved(app.ltp("NSE:INFY").await, 300);
    let (_, created) = app
        .call_json(
            "levels/create",
            json!({ "draft": draft(level_price, true) }),
        )
        .await;
    let id = osp_core::model::LevelId(created["stored"]["level"]["id"].as_i64().unwrap());
    let data = app.stop_keeping_data().await;
    record_a_trigger_then_crash(&data, id, level_price, tag, now_ms() - ago_ms).await;
    (data, id, level_price)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test]
async fn a_crash_after_a_trigger_was_recorded_sends_its_order_once_at_the_next_start() {
    let (data, id, level_price) = a_trigger_recorded_then_a_crash("crashafter1", 0).await;

    // The next start, moments later, finds the pending order, sees the broker has none with
    // its tag, sends it once; the level stays triggered.
    let app = spawn_app_in(data, &[]).await;
    let done = wait_for_orders(&app, |o| o.len() == 1 && o[0]["state"] == "filled").await;
    assert_eq!(done[0]["request"]["tag"], "crashafter1");
    let at_broker = app.kite.orders().await.unwrap();
    assert_eq!(
        at_broker
            .iter()
            .filter(|o| o.tag.as_deref() == Some("crashafter1"))
            .count(),
        1
    );
    assert_eq!(phase_of(&levels(&app).await, id.0), "triggered");
    app.watching(INFY).await;
    app.trade_at(INFY, moved(level_price, -100)).await;
    app.trade_at(INFY, moved(level_price, 100)).await;
    assert_eq!(app.orders().await.len(), 1, "not fired again");
    app.stop().await;
}

/// The same crash, but the app stays down for minutes: the crossing's order is refused with
/// the reason at the next start, never sent at prices long gone.
#[tokio::test]
async fn a_trigger_recorded_before_a_long_stop_is_refused_at_the_next_start_never_sent_late() {
    let (data, id, _) = a_trigger_recorded_then_a_crash("crashlate1", 5 * 60_000).await;

    let app = spawn_app_in(data, &[]).await;
    let done = wait_for_orders(&app, |o| o.len() == 1 && o[0]["state"] == "rejected").await;
    assert_eq!(done[0]["request"]["tag"], "crashlate1");
    let reason = done[0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("not sent late"), "{reason}");
    let at_broker = app.kite.orders().await.unwrap();
    assert!(
        at_broker
            .iter()
            .all(|o| o.tag.as_deref() != Some("crashlate1")),
        "{at_broker:?}"
    );
    assert_eq!(phase_of(&levels(&app).await, id.0), "triggered");
    app.stop().await;
}

#[tokio::test]
async fn the_instrument_page_draws_its_levels_on_the_chart_on_the_server() {
    let app = spawn_app().await;
    let price = moved(app.ltp("NSE:INFY").await, 100);
    let (status, created) = app
        .call_json("levels/create", json!({ "draft": draft(price, true) }))
        .await;
    assert_eq!(status, 200, "{created}");
    let id = created["stored"]["level"]["id"].as_i64().unwrap();
    let html = app
        .client
        .get(app.url(&format!("/instrument/{INFY}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("price-line"), "a level line is drawn");
    let label = format!("#{id} ↑ BUY {}", price.format_indian());
    assert!(html.contains(&label), "labelled {label:?}");
    // Another instrument's page has no line for it.
    let other = app
        .client
        .get(app.url("/instrument/779521"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!other.contains(&label));
    app.stop().await;
}
