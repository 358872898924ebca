//! Paper and live mode on a Kite account, rehearsed on a standalone simulator on loopback (as
//! `osp kite-sim` runs one, standing in for Zerodha): the app starts with no Kite app and no
//! session, as a new installation does, and sends nothing until an admin saves the Kite app
//! and connects. Then it loads Kite's instruments, streams Kite's prices and — in live mode
//! only — sends its orders to Kite; paper mode never does. A restart the same day goes on with
//! the saved session; one that Kite has ended meanwhile is found out at start-up.

use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, connect_kite, eventually, save_kite_app, spawn_app_on_kite, wait_for_kite_market,
};

const INFY: u32 = 408_065;

fn market_buy() -> Value {
    json!({ "ticket": {
        "token": INFY, "side": "buy", "quantity": "1", "product": "intraday",
        "kind": "market", "price": "", "trigger": "",
    }})
}

async fn status(app: &TestApp) -> Value {
    let (code, status) = app.call_form("status", &[]).await;
    assert_eq!(code, 200, "{status}");
    status
}

#[tokio::test]
async fn live_mode_trades_on_kite_only_once_the_app_is_saved_and_kite_connected() {
    let app = spawn_app_on_kite(tempfile::tempdir().unwrap(), "live", &[]).await;
    let first = status(&app).await;
    // A first visit before Kite's instruments are known makes no watchlist (an empty starter
    // list would stay empty); the one after they arrive makes it with the starter instruments.
    let (code, early) = app.call_form("watchlists", &[]).await;
    assert_eq!(code, 200, "{early}");
    assert_eq!(early["lists"], serde_json::json!([]), "{early}");
    assert_eq!(first["mode"], "live", "{first}");
    assert!(
        first["session_expired"]["reason"]
            .as_str()
            .unwrap()
            .contains("no Kite app"),
        "{first}"
    );
    // Connect Kite before there is an app to connect with: back to Settings, saying what to do.
    let back = connect_kite(&app).await;
    assert!(back.starts_with("/settings?kite_error="), "{back}");
    assert!(back.contains("API+key+and+secret"), "{back}");
    // An order now goes nowhere.
    let (_, refused) = app.call_json("orders/place", market_buy()).await;
    assert_ne!(refused["state"], "placed", "{refused}");
    assert!(app.kite.orders().await.unwrap().is_empty());

    save_kite_app(&app).await;
    let back = connect_kite(&app).await;
    assert!(back.starts_with("/settings?kite=connected"), "{back}");
    assert!(status(&app).await["session_expired"].is_null());
    wait_for_kite_market(&app).await;
    let (_, view) = app.call_form("watchlists", &[]).await;
    assert!(
        view["lists"][0]["items"]
            .as_array()
            .is_some_and(|items| items.len() == 7),
        "the first list, made once the instruments are known, holds the starter instruments: {view}"
    );

    // A live order reaches Kite, and Kite's order updates come back over the ticker.
    let (code, placed) = app.call_json("orders/place", market_buy()).await;
    assert_eq!(code, 200, "{placed}");
    assert_ne!(placed["state"], "rejected", "{placed}");
    let at_kite = app.kite.orders().await.unwrap();
    assert_eq!(at_kite.len(), 1, "the order is at Kite");
    eventually("the fill from Kite", async || {
        let orders = app.orders().await;
        (orders[0]["state"] == "filled").then_some(())
    })
    .await;

    // A restart the same day goes on with the saved session: no login needed.
    let app = app.restart_on_same_kite("live").await;
    assert!(
        status(&app).await["session_expired"].is_null(),
        "the saved session is resumed"
    );
    wait_for_kite_market(&app).await;
    let (_, again) = app.call_json("orders/place", market_buy()).await;
    assert_ne!(again["state"], "rejected", "{again}");
    assert_eq!(app.kite.orders().await.unwrap().len(), 2);

    // Kite ends every session (its 06:00 IST flush) while the app is down: the next start
    // finds out before sending anything, and the ticker waits for a login.
    let ended = app.sim.state.auth.end_all_sessions();
    assert!(ended >= 2, "the app's and the test's sessions");
    let mut app = app.restart_on_same_kite("live").await;
    let fresh = secrecy::SecretString::from(app.sim.state.auth.issue_access_token());
    app.kite.set_access_token(fresh.clone());
    app.access_token = fresh;
    let start = status(&app).await;
    let reason = start["session_expired"]["reason"].as_str().unwrap();
    assert!(!reason.is_empty(), "{start}");
    let (_, refused) = app.call_json("orders/place", market_buy()).await;
    assert_eq!(refused["state"], "rejected", "{refused}");
    assert!(
        refused["reason"]
            .as_str()
            .unwrap()
            .contains("the Kite session has ended"),
        "{refused}"
    );
    assert_eq!(
        app.kite.orders().await.unwrap().len(),
        2,
        "nothing new at Kite"
    );
    assert!(app.access_token.expose_secret().len() > 8);
    app.stop().await;
}

#[tokio::test]
async fn paper_mode_on_kite_takes_kites_prices_and_never_sends_kite_an_order() {
    let app = spawn_app_on_kite(tempfile::tempdir().unwrap(), "paper", &[]).await;
    assert_eq!(status(&app).await["mode"], "paper");
    save_kite_app(&app).await;
    assert!(
        connect_kite(&app)
            .await
            .starts_with("/settings?kite=connected")
    );
    wait_for_kite_market(&app).await;
    // Kite's price for INFY reaches the paper broker through the ticker.
    let ltp = app.ltp("NSE:INFY").await;
    eventually("Kite's INFY price in the app", async || {
        use osp_core::ports::MarketData;
        let latest = app
            .prices
            .latest(&[osp_core::model::InstrumentToken(408_065)]);
        (!latest.is_empty()).then_some(())
    })
    .await;
    let (code, placed) = app.call_json("orders/place", market_buy()).await;
    assert_eq!(code, 200, "{placed}");
    let order = eventually("the paper fill", async || {
        let orders = app.orders().await;
        (orders[0]["state"] == "filled").then(|| orders[0].clone())
    })
    .await;
    assert!(
        order["broker_order_id"].as_str().unwrap().starts_with('P'),
        "a paper order id: {order}"
    );
    let fill = osp_core::model::Price::parse(order["average_price"].as_str().unwrap()).unwrap();
    // Within 1 % of Kite's price (the market walks; paper slippage is 5 bp).
    let drift = fill.change_basis_points(ltp).unwrap().abs();
    assert!(
        drift < 100,
        "filled near Kite's price: {fill} against {ltp}"
    );
    assert!(
        app.kite.orders().await.unwrap().is_empty(),
        "Kite never saw a paper order"
    );
    app.stop().await;
}
