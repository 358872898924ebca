//! Paper mode on the real server: a level's order fills at the paper broker against the live
//! (here, simulated) prices, opens a trade and exits like any other — and the Kite side (the
//! simulator's order book) never sees an order, because the paper broker holds no Kite client.
//! A database used in one mode is refused in another.

use osp_core::model::Price;
use serde_json::{Value, json};

use crate::helpers::{moved, spawn_app_in, test_settings};

const INFY: u32 = 408_065;

fn draft(level: Price) -> Value {
    json!({
        "token": INFY, "price": level.to_string(), "trigger": "up", "on_up": "buy", "on_down": null,
        "quantity": "5", "product": "intraday", "limit_offset": "", "target": "2%", "stop_loss": "",
        "trailing_stop": "", "confirmation": "cross", "confirmation_value": "", "rearm": "once",
        "rearm_distance": "", "window_from": "", "window_to": "", "enabled": true, "note": "",
    })
}

#[tokio::test]
async fn paper_orders_fill_at_the_paper_broker_and_never_reach_kite() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_in(
        dir,
        &[("OSP__MODE", "paper"), ("OSP__KITE__ENDPOINT", "simulator")],
    )
    .await;
    let (status, view) = app.call_form("status", &[]).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["mode"], "paper", "{view}");

    let ltp = app.kite.ltp(&["NSE:INFY"]).await.unwrap()["NSE:INFY"].last_price;
    let level = moved(ltp, 300);
    let (status, created) = app
        .call_json("levels/create", json!({ "draft": draft(level) }))
        .await;
    assert_eq!(status, 200, "{created}");
    app.watching(INFY).await;
    app.trade_at(INFY, moved(level, 50)).await;
    let opened = app
        .wait_for_book("a paper trade", |b| b["open_positions"] == 1)
        .await;
    let trade = &opened["trades"][0]["trade"];
    let (_, orders) = app.call_form("orders", &[]).await;
    let entry = &orders[0];
    assert_eq!(entry["state"], "filled", "{entry}");
    assert!(
        entry["broker_order_id"].as_str().unwrap().starts_with('P'),
        "a paper order id: {entry}"
    );
    assert_eq!(trade["entry_price"], entry["average_price"]);

    // The target exits it through the paper broker too.
    let target = Price::parse(trade["target"].as_str().unwrap()).unwrap();
    app.trade_at(INFY, moved(target, 20)).await;
    let closed = app
        .wait_for_book("the paper exit", |b| {
            b["trades"][0]["trade"]["state"] == "closed"
        })
        .await;
    assert_eq!(closed["trades"][0]["trade"]["exit_reason"], "target");
    let (status, account) = app.call_form("paper/account", &[]).await;
    assert_eq!(status, 200, "{account}");
    let realised = Price::parse(account["realised"].as_str().unwrap()).unwrap();
    assert_eq!(
        account["realised"], closed["trades"][0]["trade"]["realised"],
        "the paper account's result is the trade's"
    );
    assert!(realised > Price::ZERO, "{account}");
    assert_eq!(account["capital"], "1000000.00", "{account}");
    assert!(account["positions"].as_array().unwrap().is_empty());

    assert!(
        app.kite.orders().await.unwrap().is_empty(),
        "the Kite side never saw an order"
    );
    let dir = app.stop_keeping_data().await;

    // The paper database, named for demo mode, is refused: its orders are paper's.
    let paper_db = format!("sqlite://{}", dir.path().join("osp-paper.db").display());
    let settings = test_settings(
        dir.path(),
        &[
            ("OSP__MODE", "demo"),
            ("OSP__DATABASE__URL", paper_db.as_str()),
        ],
    );
    let refused = osp_server::startup::Application::build(&settings)
        .await
        .err()
        .expect("a paper database is refused in demo mode")
        .to_string();
    assert!(
        refused.contains("holds paper trading's orders"),
        "{refused}"
    );
    assert!(refused.contains("database.url"), "{refused}");

    // Paper again on the same directory: the trade book is still there.
    let app = spawn_app_in(
        dir,
        &[("OSP__MODE", "paper"), ("OSP__KITE__ENDPOINT", "simulator")],
    )
    .await;
    let again = app.trade_book().await;
    assert_eq!(again["trades"][0]["trade"]["state"], "closed");
    let (_, restored) = app.call_form("paper/account", &[]).await;
    assert_eq!(
        restored["realised"], account["realised"],
        "restored after the restart"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_paper_order_is_modified_and_the_account_resets_only_once_nothing_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_in(
        dir,
        &[("OSP__MODE", "paper"), ("OSP__KITE__ENDPOINT", "simulator")],
    )
    .await;
    let ltp = app.ltp("NSE:INFY").await;
    let ticket = json!({
        "token": INFY, "side": "buy", "quantity": "1", "product": "intraday",
        "kind": "limit", "price": moved(ltp, -300).to_string(), "trigger": "",
    });
    let (_, placed) = app
        .call_json("orders/place", json!({ "ticket": ticket }))
        .await;
    assert_eq!(placed["state"], "placed", "{placed}");
    let id = placed["id"].as_i64().unwrap();
    let (status, refused) = app.call_form("paper/reset", &[]).await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("1 order(s) still working"),
        "{refused}"
    );

    // Re-priced above the market, the paper broker fills it at once: two units, one trade.
    let change = json!({
        "quantity": "2", "kind": "limit", "price": moved(ltp, 100).to_string(), "trigger": "",
    });
    let (status, modified) = app
        .call_json("orders/modify", json!({ "id": id, "change": change }))
        .await;
    assert_eq!(status, 200, "{modified}");
    let opened = app
        .wait_for_book("the modified order's trade", |b| b["open_positions"] == 1)
        .await;
    let trade = &opened["trades"][0]["trade"];
    assert_eq!(trade["quantity"], 2, "{trade}");
    let (status, refused) = app.call_form("paper/reset", &[]).await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("1 trade(s) are open"),
        "{refused}"
    );

    let trade_id = trade["id"].as_i64().unwrap().to_string();
    let (status, _) = app.call_form("trades/exit", &[("id", &trade_id)]).await;
    assert_eq!(status, 200);
    let closed = app
        .wait_for_book("the exit", |b| b["trades"][0]["trade"]["state"] == "closed")
        .await;
    let (_, before) = app.call_form("paper/account", &[]).await;
    assert_eq!(before["realised"], closed["trades"][0]["trade"]["realised"]);
    assert!(before["since_ms"].is_null(), "{before}");

    let (status, fresh) = app.call_form("paper/reset", &[]).await;
    assert_eq!(status, 200, "{fresh}");
    assert_eq!(fresh["realised"], "0.00", "{fresh}");
    assert_eq!(fresh["available"], fresh["capital"], "{fresh}");
    let since = fresh["since_ms"].as_i64().expect("the reset time");
    assert!(
        app.kite.orders().await.unwrap().is_empty(),
        "the Kite side never saw an order"
    );
    let dir = app.stop_keeping_data().await;

    // After a restart the account is still the fresh one; the trade stays in the book.
    let app = spawn_app_in(
        dir,
        &[("OSP__MODE", "paper"), ("OSP__KITE__ENDPOINT", "simulator")],
    )
    .await;
    let (_, restored) = app.call_form("paper/account", &[]).await;
    assert_eq!(restored["realised"], "0.00", "{restored}");
    assert_eq!(restored["since_ms"], since, "{restored}");
    assert_eq!(
        app.trade_book().await["trades"][0]["trade"]["state"],
        "closed"
    );
    app.stop().await;
}

#[tokio::test]
async fn only_paper_mode_has_an_account_to_reset() {
    let app = crate::helpers::spawn_app().await;
    let (status, refused) = app.call_form("paper/reset", &[]).await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("not paper mode"),
        "{refused}"
    );
    app.stop().await;
}
