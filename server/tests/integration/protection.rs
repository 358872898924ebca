//! Protection held at the broker, on the real server against a standalone simulator standing in
//! for Kite: an entry's fill puts its stop order at Kite, the app goes down, the market falls
//! through the stop and Kite's stop order fills meanwhile; started again, the app closes the
//! trade at Kite's price and sends nothing of its own.

use osp_core::model::Price;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, connect_kite, eventually, moved, save_kite_app, spawn_app_on_kite,
    wait_for_kite_market,
};

const INFY: u32 = 408_065;
const TICK: i64 = 500; // ₹0.05 in raw fixed-point units

fn price(v: &Value) -> Price {
    Price::parse(v.as_str().unwrap_or_else(|| panic!("a price, not {v}"))).unwrap()
}

/// A buy-on-the-way-up intraday level of 3 INFY at `level` with a 2 % stop.
fn draft(level: Price) -> Value {
    json!({
        "token": INFY, "price": level.to_string(), "trigger": "up", "on_up": "buy",
        "on_down": null, "quantity": "3", "product": "intraday", "limit_offset": "",
        "target": "", "stop_loss": "2%", "trailing_stop": "", "confirmation": "cross",
        "confirmation_value": "", "rearm": "once", "rearm_distance": "", "window_from": "",
        "window_to": "", "enabled": true, "note": "",
    })
}

/// The app in live mode on a standalone Kite, its app saved and Kite connected.
async fn live_on_kite() -> TestApp {
    let app = spawn_app_on_kite(tempfile::tempdir().unwrap(), "live", &[]).await;
    save_kite_app(&app).await;
    let back = connect_kite(&app).await;
    assert!(back.starts_with("/settings?kite=connected"), "{back}");
    wait_for_kite_market(&app).await;
    app
}

#[tokio::test]
async fn a_stop_order_at_kite_exits_while_the_app_is_down_and_the_restart_sends_no_second_exit() {
    let app = live_on_kite().await;
    let level = moved(app.ltp("NSE:INFY").await, 300);
    let (status, created) = app
        .call_json("levels/create", json!({ "draft": draft(level) }))
        .await;
    assert_eq!(status, 200, "{created}");
    app.watching(INFY).await;
    app.trade_at(INFY, moved(level, 50)).await;
    let book = app
        .wait_for_book("the trade open", |b| b["open_positions"] == 1)
        .await;
    let trade = book["trades"][0]["trade"].clone();
    let stop = price(&trade["stop_loss"]);

    // The stop stands at Kite: an SL-M sell of the 3, triggered at the trade's stop, carrying
    // the tag of the app's record of it.
    let standing = eventually("the stop order at Kite", async || {
        app.kite
            .orders()
            .await
            .unwrap()
            .into_iter()
            .find(|o| o.order_type == "SL-M" && o.status == "TRIGGER PENDING")
    })
    .await;
    assert_eq!(
        (
            standing.transaction_type.as_str(),
            standing.quantity,
            standing.trigger_price
        ),
        ("SELL", 3, stop)
    );
    let record = app
        .orders()
        .await
        .into_iter()
        .find(|o| o["request"]["kind"]["type"] == "stop_loss_market")
        .expect("the app's record of its stop order");
    assert_eq!(
        standing.tag.as_deref(),
        record["request"]["tag"].as_str(),
        "{record}"
    );
    let kite = app.kite.clone();

    // The app goes down; the market falls through the stop; Kite's stop order fills.
    let below = stop.checked_sub(Price::from_raw(TICK * 4)).unwrap();
    let app = app
        .restart_on_same_kite_after("live", async |sim| {
            assert!(sim.set_last_price(INFY, below));
            let filled = kite
                .orders()
                .await
                .unwrap()
                .into_iter()
                .find(|o| o.order_id == standing.order_id)
                .unwrap();
            assert_eq!(filled.status, "COMPLETE", "{filled:?}");
        })
        .await;

    // Started again: the trade is closed by that fill, at Kite's price, and nothing else sent.
    let closed = app
        .wait_for_book("the trade closed by Kite's stop order", |b| {
            b["trades"][0]["trade"]["state"] == "closed"
        })
        .await;
    let t = &closed["trades"][0]["trade"];
    assert_eq!(t["exit_reason"], "stop_loss", "{t}");
    let filled_at = app
        .kite
        .orders()
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.order_id == standing.order_id)
        .unwrap()
        .average_price;
    assert_eq!(price(&t["exit_price"]), filled_at, "Kite's fill price");
    assert_eq!(t["exit_intent"], record["id"]);
    let entry = price(&t["entry_price"]);
    assert_eq!(
        price(&t["realised"]),
        filled_at
            .checked_sub(entry)
            .unwrap()
            .checked_mul_int(3)
            .unwrap()
    );
    // A minute's housekeeping and more ticks below the stop later, still only the two orders.
    app.trade_at(INFY, below.checked_sub(Price::from_raw(TICK)).unwrap())
        .await;
    let at_kite = app.kite.orders().await.unwrap();
    assert_eq!(
        at_kite.len(),
        2,
        "the entry and its stop order: {at_kite:?}"
    );
    let net: i64 = app
        .kite
        .positions()
        .await
        .unwrap()
        .net
        .iter()
        .filter(|p| p.tradingsymbol == "INFY")
        .map(|p| p.quantity)
        .sum();
    assert_eq!(net, 0, "flat at Kite");
    assert_eq!(app.orders().await.len(), 2, "no exit of the app's own");
    app.stop().await;
}
