//! The Account page against the simulator: the broker's positions, each the app's (its trades)
//! or outside (an order placed at Kite directly, as from Kite's own app), through the server
//! function and in the page's first HTML.

use serde_json::{Value, json};

use crate::helpers::{TestApp, eventually, spawn_app};

const INFY: u32 = 408_065;

fn row<'a>(view: &'a Value, symbol: &str) -> Option<&'a Value> {
    view["positions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["position"]["tradingsymbol"] == symbol)
}

async fn account(app: &TestApp) -> Value {
    let (status, view) = app.call_form("account", &[]).await;
    assert_eq!(status, 200, "{view}");
    view
}

#[tokio::test]
async fn the_account_shows_each_broker_position_as_the_apps_or_outside() {
    use kite_connect::common::enums::{OrderType, Product, TransactionType};
    use kite_connect::http::models::OrderParams;
    let app = spawn_app().await;
    let empty = account(&app).await;
    assert!(empty["problem"].is_null(), "{empty}");
    assert_eq!(empty["positions"], json!([]));

    // A trade of the app's: 3 INFY bought through the order ticket.
    let (status, placed) = app
        .call_json(
            "orders/place",
            json!({ "ticket": {
                "token": INFY, "side": "buy", "quantity": "3", "product": "intraday",
                "kind": "market", "price": "", "trigger": "",
            }}),
        )
        .await;
    assert_eq!(status, 200, "{placed}");
    let book = app
        .wait_for_book("the trade open", |b| b["open_positions"] == 1)
        .await;
    let trade_id = book["trades"][0]["trade"]["id"].clone();
    // And 2 SBIN bought at Kite directly, as in Kite's own app.
    let outside = OrderParams::new(
        "NSE",
        "SBIN",
        TransactionType::Buy,
        OrderType::Market,
        Product::Mis,
        2,
    );
    app.kite.place_order(&outside).await.unwrap();

    let view = eventually("both positions on the account", async || {
        let view = account(&app).await;
        (row(&view, "INFY").is_some() && row(&view, "SBIN").is_some()).then_some(view)
    })
    .await;
    let infy = row(&view, "INFY").unwrap();
    assert_eq!(infy["position"]["quantity"], 3, "{infy}");
    assert_eq!(
        (infy["managed"].clone(), infy["outside"].clone()),
        (json!(3), json!(0))
    );
    assert_eq!(infy["trades"], json!([trade_id]));
    assert!(infy["ltp"].is_string(), "the live price: {infy}");
    let sbin = row(&view, "SBIN").unwrap();
    assert_eq!(
        (sbin["managed"].clone(), sbin["outside"].clone()),
        (json!(0), json!(2))
    );
    assert_eq!(sbin["trades"], json!([]));
    assert_eq!(
        view["positions"][0]["position"]["tradingsymbol"], "SBIN",
        "what is outside the app comes first"
    );

    // The page's first HTML already says so, for a viewer too.
    let viewer = app.user_client("vic", "viewer").await;
    let html = viewer
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-testid=\"account-position\""), "{html}");
    assert!(html.contains("outside the app"), "{html}");
    assert!(html.contains(&format!("trade #{trade_id}")), "{html}");
    app.stop().await;
}
