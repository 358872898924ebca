//! Manual orders on the real server: a ticket is placed through the same executor (one order at
//! the broker for its tag, a trade opened by its fill), a wrong ticket is refused field by field
//! with nothing sent, the risk limits apply to it, and an open order is cancelled once.

use osp_core::model::Price;
use serde_json::{Value, json};

use crate::helpers::{TestApp, eventually, moved, problem_fields, spawn_app};

const INFY: u32 = 408_065;

fn ticket(side: &str, quantity: &str, kind: &str, price: &str) -> Value {
    json!({
        "token": INFY, "side": side, "quantity": quantity, "product": "intraday",
        "kind": kind, "price": price, "trigger": "",
    })
}

async fn order(app: &TestApp, id: i64) -> Value {
    let (_, orders) = app.call_form("orders", &[]).await;
    orders
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("order {id} is listed"))
}

async fn wait_for_state(app: &TestApp, id: i64, state: &str) -> Value {
    eventually(&format!("order {id} {state}"), async || {
        let found = order(app, id).await;
        (found["state"] == state).then_some(found)
    })
    .await
}

#[tokio::test]
async fn a_manual_ticket_is_placed_once_opens_a_trade_and_a_wrong_one_sends_nothing() {
    let app = spawn_app().await;
    let (status, error) = app
        .call_json(
            "orders/place",
            json!({ "ticket": ticket("buy", "0", "limit", "") }),
        )
        .await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(problem_fields(&error), ["quantity", "price"], "{error}");
    let (_, none) = app.call_form("orders", &[]).await;
    assert!(none.as_array().unwrap().is_empty(), "nothing recorded");

    let (status, placed) = app
        .call_json(
            "orders/place",
            json!({ "ticket": ticket("buy", "2", "market", "") }),
        )
        .await;
    assert_eq!(status, 200, "{placed}");
    assert!(placed["level"].is_null());
    let id = placed["id"].as_i64().unwrap();
    let filled = wait_for_state(&app, id, "filled").await;
    let tag = filled["request"]["tag"].as_str().unwrap().to_owned();
    let at_broker = app.kite.orders().await.unwrap();
    assert_eq!(
        at_broker
            .iter()
            .filter(|o| o.tag.as_deref() == Some(&tag))
            .count(),
        1,
        "exactly one order at the broker"
    );
    let book = app
        .wait_for_book("the manual fill's trade", |b| b["open_positions"] == 1)
        .await;
    let trade = &book["trades"][0]["trade"];
    assert_eq!(trade["entry_intent"], id);
    assert_eq!(trade["quantity"], 2);
    assert!(
        trade["target"].is_null() && trade["stop_loss"].is_null(),
        "a manual trade has no exits"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_open_order_is_cancelled_once_and_risk_limits_apply_to_tickets() {
    let app = spawn_app().await;
    let ltp = app.ltp("NSE:INFY").await;
    // 3 % under the market: it rests (inside the default 5 % band).
    let below = ltp.raw() - ltp.raw() * 3 / 100;
    let limit = Price::from_raw(below - below.rem_euclid(500));
    let (status, placed) = app
        .call_json(
            "orders/place",
            json!({ "ticket": ticket("buy", "1", "limit", &limit.to_string()) }),
        )
        .await;
    assert_eq!(status, 200, "{placed}");
    let id = placed["id"].as_i64().unwrap();
    assert_eq!(placed["state"], "placed", "{placed}");
    let (status, _) = app
        .call_form("orders/cancel", &[("id", &id.to_string())])
        .await;
    assert_eq!(status, 200);
    let cancelled = wait_for_state(&app, id, "cancelled").await;
    assert!(cancelled["filled_quantity"] == 0);
    let (status, again) = app
        .call_form("orders/cancel", &[("id", &id.to_string())])
        .await;
    assert_eq!(status, 400, "{again}");
    assert!(
        again["detail"]
            .as_str()
            .unwrap()
            .contains("already cancelled"),
        "{again}"
    );
    let (status, _) = app.call_form("orders/cancel", &[("id", "999")]).await;
    assert_eq!(status, 404);

    // A limit far outside the price band is refused by the risk check, never sent.
    let far = Price::from_raw((ltp.raw() / 2) - (ltp.raw() / 2).rem_euclid(500));
    let (status, refused) = app
        .call_json(
            "orders/place",
            json!({ "ticket": ticket("buy", "1", "limit", &far.to_string()) }),
        )
        .await;
    assert_eq!(status, 200, "{refused}");
    assert_eq!(refused["state"], "rejected");
    assert!(
        refused["reason"].as_str().unwrap().contains("price band"),
        "{refused}"
    );
    assert!(refused["broker_order_id"].is_null());
    app.stop().await;
}

fn change(quantity: &str, kind: &str, price: &str) -> Value {
    json!({ "quantity": quantity, "kind": kind, "price": price, "trigger": "" })
}

#[tokio::test]
async fn an_open_order_is_modified_at_the_broker_and_a_wrong_change_sends_nothing() {
    let app = spawn_app().await;
    let ltp = app.ltp("NSE:INFY").await;
    let first = moved(ltp, -300);
    let (_, placed) = app
        .call_json(
            "orders/place",
            json!({ "ticket": ticket("buy", "1", "limit", &first.to_string()) }),
        )
        .await;
    assert_eq!(placed["state"], "placed", "{placed}");
    let id = placed["id"].as_i64().unwrap();
    let tag = placed["request"]["tag"].as_str().unwrap().to_owned();
    let at_broker = async || {
        app.kite
            .find_order_by_tag(&tag)
            .await
            .unwrap()
            .expect("the order is in the broker's book")
    };

    // Off the tick grid and a zero quantity: both named, nothing sent.
    let off_grid = Price::from_raw(first.raw() + 100);
    let (status, error) = app
        .call_json(
            "orders/modify",
            json!({ "id": id, "change": change("0", "limit", &off_grid.to_string()) }),
        )
        .await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(problem_fields(&error), ["quantity", "price"], "{error}");
    let unchanged = at_broker().await;
    assert_eq!((unchanged.quantity, unchanged.price), (1, first));

    // A good change: three units at 2 % under. The broker has it, and so does the book.
    let second = moved(ltp, -200);
    let (status, modified) = app
        .call_json(
            "orders/modify",
            json!({ "id": id, "change": change("3", "limit", &second.to_string()) }),
        )
        .await;
    assert_eq!(status, 200, "{modified}");
    let now = at_broker().await;
    assert_eq!(
        (now.quantity, now.price),
        (3, second),
        "modified at the broker"
    );
    assert_eq!(now.order_type, "LIMIT");
    // An update sent before the change may still be on its way and show the old order for a
    // moment; the change's own update follows it.
    let listed = eventually("the book shows the change", async || {
        let listed = order(&app, id).await;
        (listed["request"]["quantity"] == 3).then_some(listed)
    })
    .await;
    assert_eq!(listed["request"]["quantity"], 3, "{listed}");
    assert_eq!(
        listed["request"]["kind"],
        json!({ "type": "limit", "price": second }),
        "{listed}"
    );
    assert_eq!(listed["request"]["tag"], tag.as_str(), "the tag stays");

    // Outside the price band: refused by the risk check, the order as it was.
    let far = moved(ltp, -5_000);
    let (status, refused) = app
        .call_json(
            "orders/modify",
            json!({ "id": id, "change": change("3", "limit", &far.to_string()) }),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["detail"].as_str().unwrap().contains("price band"),
        "{refused}"
    );
    assert_eq!(at_broker().await.price, second, "not sent");

    // Changed to MARKET, it fills all three units and opens a trade of three.
    let (status, to_market) = app
        .call_json(
            "orders/modify",
            json!({ "id": id, "change": change("3", "market", "") }),
        )
        .await;
    assert_eq!(status, 200, "{to_market}");
    let filled = wait_for_state(&app, id, "filled").await;
    assert_eq!(filled["filled_quantity"], 3, "{filled}");
    let book = app
        .wait_for_book("a trade of three units", |b| b["open_positions"] == 1)
        .await;
    assert_eq!(book["trades"][0]["trade"]["quantity"], 3, "{book}");
    assert_eq!(
        app.kite
            .orders()
            .await
            .unwrap()
            .iter()
            .filter(|o| o.tag.as_deref() == Some(&tag))
            .count(),
        1,
        "a modification is no new order"
    );

    let (status, ended) = app
        .call_json(
            "orders/modify",
            json!({ "id": id, "change": change("4", "market", "") }),
        )
        .await;
    assert_eq!(status, 400, "{ended}");
    assert!(
        ended["detail"].as_str().unwrap().contains("has ended"),
        "{ended}"
    );
    let (status, _) = app
        .call_json(
            "orders/modify",
            json!({ "id": 999, "change": change("1", "market", "") }),
        )
        .await;
    assert_eq!(status, 404);
    app.stop().await;
}
