//! Risk on the real server: limits edited through the server functions (every wrong field
//! named, nothing changed), an order that breaks one is refused before the broker with the
//! reason on the level and the order; the kill switch squares off, stops every level from
//! triggering, holds across a restart, and releasing it lets trading resume.

use osp_core::model::Price;
use serde_json::{Value, json};

use crate::helpers::{TestApp, eventually, moved, problem_fields, spawn_app, spawn_app_in};

const INFY: u32 = 408_065;

fn draft(level: Price) -> Value {
    json!({
        "token": INFY, "price": level.to_string(), "trigger": "up", "on_up": "buy", "on_down": null,
        "quantity": "3", "product": "intraday", "limit_offset": "", "target": "", "stop_loss": "",
        "trailing_stop": "", "confirmation": "cross", "confirmation_value": "", "rearm": "once",
        "rearm_distance": "", "window_from": "", "window_to": "", "enabled": true, "note": "",
    })
}

fn limits(max_quantity: &str) -> Value {
    json!({
        "max_order_quantity": max_quantity, "max_order_value": "", "max_open_positions": "",
        "max_orders_per_day": "", "max_daily_loss": "", "price_band": "5",
    })
}

async fn create_level(app: &TestApp, level: Price) -> i64 {
    let (status, created) = app
        .call_json("levels/create", json!({ "draft": draft(level) }))
        .await;
    assert_eq!(status, 200, "{created}");
    created["stored"]["level"]["id"].as_i64().unwrap()
}

async fn level_log(app: &TestApp, id: i64) -> Vec<Value> {
    let (status, log) = app
        .call_form("levels/log", &[("level", &id.to_string()), ("limit", "20")])
        .await;
    assert_eq!(status, 200, "{log}");
    log.as_array().unwrap().clone()
}

#[tokio::test]
async fn an_order_over_a_limit_is_refused_before_the_broker_with_its_reason() {
    let app = spawn_app().await;
    let (status, view) = app.call_form("risk", &[]).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(
        view["limits"]["price_band"], "5",
        "the default band: {view}"
    );
    assert!(view["kill_switch"].is_null());

    let mut bad = limits("two");
    bad["price_band"] = json!("500");
    let (status, error) = app.call_json("risk/limits", json!({ "draft": bad })).await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(
        problem_fields(&error),
        ["max_order_quantity", "price_band"],
        "{error}"
    );
    let (_, unchanged) = app.call_form("risk", &[]).await;
    assert_eq!(unchanged, view, "nothing changed");

    let (status, saved) = app
        .call_json("risk/limits", json!({ "draft": limits("2") }))
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["limits"]["max_order_quantity"], "2");

    let level = moved(app.ltp("NSE:INFY").await, 300);
    let id = create_level(&app, level).await;
    app.watching(INFY).await;
    app.trade_at(INFY, moved(level, 50)).await;
    let refused = eventually("the refusal", async || {
        let o = app.orders().await;
        (o.len() == 1 && o[0]["state"] == "rejected").then(|| o[0].clone())
    })
    .await;
    let reason = refused["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("risk check: quantity 3 is above the limit of 2"),
        "{reason}"
    );
    assert!(refused["broker_order_id"].is_null(), "never sent");
    let tag = refused["request"]["tag"].as_str().unwrap().to_owned();
    assert!(
        app.kite
            .orders()
            .await
            .unwrap()
            .iter()
            .all(|o| o.tag.as_deref() != Some(&tag)),
        "the broker never saw it"
    );
    let log = level_log(&app, id).await;
    assert_eq!(log[0]["kind"], "order_failed", "{log:?}");
    assert!(
        log[0]["detail"]
            .as_str()
            .unwrap()
            .contains("above the limit of 2")
    );
    app.stop().await;
}

#[tokio::test]
async fn the_kill_switch_squares_off_stops_triggering_survives_a_restart_and_releases() {
    let app = spawn_app().await;
    let start = app.ltp("NSE:INFY").await;
    // One level opens a trade; a second, higher one is crossed while the switch is on.
    let first = moved(start, 300);
    create_level(&app, first).await;
    app.watching(INFY).await;
    app.trade_at(INFY, moved(first, 50)).await;
    eventually("the trade", async || {
        let (_, book) = app.call_form("trades", &[]).await;
        (book["open_positions"] == 1).then_some(())
    })
    .await;

    let (status, report) = app
        .call_form("risk/kill-switch", &[("square_off", "true")])
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["exits_sent"], 1, "{report}");
    let (_, status) = app.call_form("status", &[]).await;
    assert_eq!(status["halted"], true, "the status area says so: {status}");
    assert!(report["state"]["engaged_ms"].is_i64());
    let closed = eventually("the square-off", async || {
        let (_, book) = app.call_form("trades", &[]).await;
        (book["trades"][0]["trade"]["state"] == "closed").then_some(book)
    })
    .await;
    assert_eq!(closed["trades"][0]["trade"]["exit_reason"], "kill_switch");
    assert_eq!(app.orders().await.len(), 2, "entry and square-off");

    let second = moved(first, 300);
    let id = create_level(&app, second).await;
    app.watching(INFY).await;
    app.trade_at(INFY, moved(second, 50)).await;
    let log = level_log(&app, id).await;
    assert_eq!(log[0]["kind"], "skipped", "{log:?}");
    assert!(log[0]["detail"].as_str().unwrap().contains("kill switch"));
    assert_eq!(app.orders().await.len(), 2, "nothing sent while halted");

    // Still on after a restart.
    let data = app.stop_keeping_data().await;
    let app = spawn_app_in(data, &[]).await;
    let (_, view) = app.call_form("risk", &[]).await;
    assert!(view["kill_switch"]["engaged_ms"].is_i64(), "{view}");
    app.trade_at(INFY, moved(second, -100)).await;
    app.trade_at(INFY, moved(second, 50)).await;
    assert_eq!(
        app.orders().await.len(),
        2,
        "still halted after the restart"
    );

    let (_, status) = app.call_form("status", &[]).await;
    assert_eq!(
        status["halted"], true,
        "still halted after the restart: {status}"
    );
    let (status, _) = app.call_form("risk/release", &[]).await;
    assert_eq!(status, 200);
    let (_, status) = app.call_form("status", &[]).await;
    assert_eq!(status["halted"], false, "{status}");
    app.trade_at(INFY, moved(second, -100)).await;
    app.trade_at(INFY, moved(second, 50)).await;
    let after = eventually("the order after release", async || {
        let o = app.orders().await;
        (o.len() == 3).then_some(o)
    })
    .await;
    assert_eq!(after[0]["level"], id);
    app.stop().await;
}

#[tokio::test]
async fn an_entry_the_account_cannot_afford_is_refused_before_the_broker_with_the_shortfall() {
    let app = spawn_app().await;
    let ticket = |quantity: &str| {
        json!({ "ticket": {
            "token": INFY, "side": "buy", "quantity": quantity, "product": "delivery",
            "kind": "market", "price": "", "trigger": "",
        }})
    };
    // No limit on an order's value here: the broker's margin is what refuses it.
    let (status, saved) = app
        .call_json("risk/limits", json!({ "draft": limits("") }))
        .await;
    assert_eq!(status, 200, "{saved}");
    // Delivery takes the full value: 1,000 INFY are worth far more than the simulator's
    // ₹10 lakh of funds.
    let (status, refused) = app.call_json("orders/place", ticket("1000")).await;
    assert_eq!(status, 200, "{refused}");
    assert_eq!(refused["state"], "rejected", "{refused}");
    let reason = refused["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("not enough margin")
            && reason.contains("₹10,00,000.00 available")
            && reason.contains("short"),
        "{refused}"
    );
    // Refused here, never sent: Kite's book is empty.
    assert!(app.kite.orders().await.unwrap().is_empty());
    // One the account can afford goes.
    let (_, placed) = app.call_json("orders/place", ticket("2")).await;
    // A market order: its fill may already be recorded when the answer comes back.
    assert!(
        matches!(placed["state"].as_str(), Some("placed" | "filled")),
        "{placed}"
    );
    app.stop().await;
}
