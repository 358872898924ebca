//! Protection held at the broker, on the real server against a standalone simulator standing in
//! for Kite: an entry's fill puts its stop order at Kite (an SL-M intraday; a two-leg GTT for a
//! delivery trade, which must outlive the day), the app goes down, the market falls through the
//! stop and Kite's order fills meanwhile; started again, the app closes the trade at Kite's
//! price and sends nothing of its own.

use osp_core::model::Price;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, connect_kite, eventually, moved, save_kite_app, spawn_app_on_kite,
    spawn_app_on_kite_at, wait_for_kite_market,
};

const INFY: u32 = 408_065;
const TICK: i64 = 500; // ₹0.05 in raw fixed-point units

fn price(v: &Value) -> Price {
    Price::parse(v.as_str().unwrap_or_else(|| panic!("a price, not {v}"))).unwrap()
}

/// A buy-on-the-way-up intraday level of 3 INFY at `level` with a 2 % stop.
fn draft(level: Price) -> Value {
    draft_for(level, "intraday", "")
}

/// A buy-on-the-way-up level of 3 INFY at `level` for `product`, with a 2 % stop and `target`.
fn draft_for(level: Price, product: &str, target: &str) -> Value {
    json!({
        "token": INFY, "price": level.to_string(), "trigger": "up", "on_up": "buy",
        "on_down": null, "quantity": "3", "product": product, "limit_offset": "",
        "target": target, "stop_loss": "2%", "trailing_stop": "", "confirmation": "cross",
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

/// A delivery trade of 3 INFY opened on `app` (a 2 % stop, and `target`): the trade as the
/// book shows it once open, and its GTT at Kite once it stands.
async fn delivery_trade_with_its_gtt(
    app: &TestApp,
    target: &str,
) -> (Value, kite_connect::http::models::Gtt) {
    let level = moved(app.ltp("NSE:INFY").await, 300);
    let (status, created) = app
        .call_json(
            "levels/create",
            json!({ "draft": draft_for(level, "delivery", target) }),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    app.watching(INFY).await;
    app.trade_at(INFY, moved(level, 50)).await;
    let book = app
        .wait_for_book("the trade open", |b| b["open_positions"] == 1)
        .await;
    let gtt = eventually("the GTT at Kite", async || {
        app.kite
            .gtts()
            .await
            .unwrap()
            .into_iter()
            .find(|g| g.status == "active")
    })
    .await;
    (book["trades"][0]["trade"].clone(), gtt)
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

#[tokio::test]
async fn a_delivery_trade_is_protected_by_a_gtt_oco_at_kite_that_exits_while_the_app_is_down() {
    let app = live_on_kite().await;
    // Not a day order: a two-leg GTT at Kite, selling the 3 CNC at the stop (a limit below it)
    // or at the target, whichever the market reaches first.
    let (trade, gtt) = delivery_trade_with_its_gtt(&app, "3%").await;
    let stop = price(&trade["stop_loss"]);
    let target = price(&trade["target"]);
    assert_eq!(gtt.kind, "two-leg");
    assert_eq!(gtt.condition.tradingsymbol, "INFY");
    assert_eq!(gtt.condition.trigger_values, vec![stop, target]);
    for leg in &gtt.orders {
        assert_eq!(
            (
                leg.transaction_type.as_str(),
                leg.product.as_str(),
                leg.order_type.as_str(),
                leg.quantity
            ),
            ("SELL", "CNC", "LIMIT", 3),
            "{leg:?}"
        );
    }
    assert!(
        gtt.orders[0].price < stop,
        "the stop leg's limit sits below its trigger"
    );
    assert_eq!(gtt.orders[1].price, target);
    assert!(
        app.kite.orders().await.unwrap().len() == 1,
        "no day order stands besides the entry"
    );
    let record = app
        .orders()
        .await
        .into_iter()
        .find(|o| o["request"]["kind"]["type"] == "gtt")
        .expect("the app's record of its GTT");
    assert_eq!(record["broker_order_id"], format!("gtt:{}", gtt.id));
    let kite = app.kite.clone();

    // The app goes down; the market falls through the stop; the GTT fires and its order fills.
    let below = stop.checked_sub(Price::from_raw(TICK * 4)).unwrap();
    let gtt_id = gtt.id;
    let app = app
        .restart_on_same_kite_after("live", async |sim| {
            assert!(sim.set_last_price(INFY, below));
            let fired = kite.gtt(gtt_id).await.unwrap();
            assert_eq!(fired.status, "triggered", "{fired:?}");
        })
        .await;

    // Started again: the trade is closed by the GTT's order, at Kite's price, nothing else sent.
    let closed = app
        .wait_for_book("the trade closed by its GTT at Kite", |b| {
            b["trades"][0]["trade"]["state"] == "closed"
        })
        .await;
    let t = &closed["trades"][0]["trade"];
    assert_eq!(t["exit_reason"], "stop_loss", "{t}");
    let at_kite = app.kite.orders().await.unwrap();
    assert_eq!(
        at_kite.len(),
        2,
        "the entry and the GTT's order: {at_kite:?}"
    );
    let fired = at_kite
        .iter()
        .find(|o| o.transaction_type == "SELL")
        .unwrap();
    assert_eq!(fired.status, "COMPLETE");
    assert_eq!(
        price(&t["exit_price"]),
        fired.average_price,
        "Kite's fill price"
    );
    assert_eq!(t["exit_intent"], record["id"]);
    app.trade_at(INFY, below.checked_sub(Price::from_raw(TICK)).unwrap())
        .await;
    assert_eq!(app.kite.orders().await.unwrap().len(), 2);
    assert_eq!(app.orders().await.len(), 2, "no exit of the app's own");
    app.stop().await;
}

#[tokio::test]
async fn the_target_leg_of_a_gtt_closes_a_delivery_trade_once_with_no_exit_of_the_apps_own() {
    let app = live_on_kite().await;
    let (trade, _) = delivery_trade_with_its_gtt(&app, "1%").await;
    let target = price(&trade["target"]);

    // The market reaches the target: Kite's GTT sells at it, and the app's own target exit
    // finds the GTT's order filled when it takes the GTT back — so it sends nothing.
    app.trade_at(INFY, moved(target, 2)).await;
    let closed = app
        .wait_for_book("the trade closed at its target", |b| {
            b["trades"][0]["trade"]["state"] == "closed"
        })
        .await;
    let t = &closed["trades"][0]["trade"];
    assert_eq!(t["exit_reason"], "target", "{t}");
    app.trade_at(INFY, moved(target, 4)).await;
    let at_kite = app.kite.orders().await.unwrap();
    let sells: Vec<_> = at_kite
        .iter()
        .filter(|o| o.transaction_type == "SELL")
        .collect();
    assert_eq!(sells.len(), 1, "one exit in all: {at_kite:?}");
    assert_eq!(sells[0].status, "COMPLETE");
    assert_eq!(price(&t["exit_price"]), sells[0].average_price);
    assert_eq!(app.orders().await.len(), 2, "the entry and the GTT");
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
    assert_eq!(net, 0, "flat at Kite, not short");
    app.stop().await;
}

#[tokio::test]
async fn kites_own_mis_square_off_at_1520_closes_the_trade_as_outside_with_nothing_sent() {
    use osp_core::ports::Clock;
    // Kite's clock just before its square-off; the app keeps the real time, so its own
    // square-off (15:15 for a trade opened before it, else the next day) is not due meanwhile.
    let today = osp_server::clock::SystemClock.now_ms();
    let ist_day_start = (today + 19_800_000).div_euclid(86_400_000) * 86_400_000 - 19_800_000;
    let kite_clock = std::sync::Arc::new(osp_core::testing::ManualClock::at(
        ist_day_start + (15 * 60 + 19) * 60_000,
    ));
    let app = spawn_app_on_kite_at(
        tempfile::tempdir().unwrap(),
        "live",
        &[],
        kite_clock.clone(),
    )
    .await;
    save_kite_app(&app).await;
    let back = connect_kite(&app).await;
    assert!(back.starts_with("/settings?kite=connected"), "{back}");
    wait_for_kite_market(&app).await;
    let level = moved(app.ltp("NSE:INFY").await, 300);
    let (status, created) = app
        .call_json("levels/create", json!({ "draft": draft(level) }))
        .await;
    assert_eq!(status, 200, "{created}");
    app.watching(INFY).await;
    app.trade_at(INFY, moved(level, 50)).await;
    app.wait_for_book("the trade open", |b| b["open_positions"] == 1)
        .await;
    eventually("the stop order at Kite", async || {
        app.kite
            .orders()
            .await
            .unwrap()
            .into_iter()
            .find(|o| o.order_type == "SL-M" && o.status == "TRIGGER PENDING")
    })
    .await;

    // 15:20 at Kite: it cancels the open MIS orders and sells the 3 itself.
    kite_clock.advance(60_000);
    let closed = app
        .wait_for_book("the trade closed by Kite's square-off", |b| {
            b["trades"][0]["trade"]["state"] == "closed"
        })
        .await;
    let t = &closed["trades"][0]["trade"];
    assert_eq!(t["exit_reason"], "outside", "{t}");
    let at_kite = app.kite.orders().await.unwrap();
    let kites = at_kite
        .iter()
        .find(|o| o.tag.is_none())
        .expect("Kite's own square-off order");
    assert_eq!(
        (
            kites.transaction_type.as_str(),
            kites.quantity,
            kites.status.as_str()
        ),
        ("SELL", 3, "COMPLETE")
    );
    assert_eq!(price(&t["exit_price"]), kites.average_price, "Kite's price");
    assert!(
        at_kite
            .iter()
            .any(|o| o.order_type == "SL-M" && o.status == "CANCELLED"),
        "{at_kite:?}"
    );
    app.trade_at(INFY, moved(level, -200)).await;
    assert_eq!(
        app.kite.orders().await.unwrap().len(),
        3,
        "entry, stop, Kite's sale"
    );
    assert_eq!(app.orders().await.len(), 2, "no exit of the app's own");
    app.stop().await;
}

#[tokio::test]
async fn a_gtt_deleted_in_kites_own_app_is_found_gone_and_the_trade_says_it_is_unprotected() {
    use kite_connect::common::enums::{OrderType, Product, TransactionType};
    use kite_connect::http::models::OrderParams;
    let app = live_on_kite().await;
    let (_, gtt) = delivery_trade_with_its_gtt(&app, "3%").await;

    // Deleted in Kite's own app: Kite sends no update for a GTT. The next order news of the
    // account (here a sale made outside the app) has the app read its standing GTTs again.
    app.kite.delete_gtt(gtt.id).await.unwrap();
    let outside = OrderParams::new(
        "NSE",
        "SBIN",
        TransactionType::Buy,
        OrderType::Market,
        Product::Mis,
        1,
    );
    app.kite.place_order(&outside).await.unwrap();
    let book = app
        .wait_for_book("the trade unprotected at Kite", |b| {
            b["trades"][0]["trade"]["protective"].is_null()
        })
        .await;
    let t = &book["trades"][0]["trade"];
    assert_eq!(t["state"], "open", "{t}");
    let problem = t["problem"].as_str().unwrap_or_default();
    assert!(problem.contains("no longer has this GTT"), "{t}");
    assert!(problem.contains("unprotected at the broker"), "{t}");
    let record = app
        .orders()
        .await
        .into_iter()
        .find(|o| o["request"]["kind"]["type"] == "gtt")
        .unwrap();
    assert_eq!(record["state"], "cancelled", "{record}");
    app.stop().await;
}

#[tokio::test]
async fn a_delivery_trade_held_overnight_counts_kites_holdings_and_a_sale_outside_closes_it() {
    use kite_connect::common::enums::{OrderType, Product, TransactionType};
    use kite_connect::http::models::OrderParams;
    let app = live_on_kite().await;
    let (_, gtt) = delivery_trade_with_its_gtt(&app, "").await;
    assert_eq!(gtt.kind, "single", "no target: the stop alone");

    // The night passes: Kite's positions no longer list the 3 INFY, its holdings do (T1).
    app.sim.settle_delivery();
    let held = app.kite.holdings().await.unwrap();
    assert_eq!((held.len(), held[0].t1_quantity), (1, 3), "{held:?}");
    // Another order's fill has the trades held against Kite: the holding keeps this one open.
    let sbin = OrderParams::new(
        "NSE",
        "SBIN",
        TransactionType::Buy,
        OrderType::Market,
        Product::Mis,
        1,
    );
    app.kite.place_order(&sbin).await.unwrap();
    let view = eventually("the account with the SBIN fill", async || {
        let (_, view) = app.call_form("account", &[]).await;
        view["positions"]
            .as_array()?
            .iter()
            .any(|r| r["position"]["tradingsymbol"] == "SBIN")
            .then_some(view)
    })
    .await;
    let infy = view["positions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["position"]["tradingsymbol"] == "INFY")
        .unwrap()
        .clone();
    assert_eq!(
        (
            infy["position"]["quantity"].clone(),
            infy["outside"].clone()
        ),
        (json!(3), json!(0)),
        "the holding is the trade's: {infy}"
    );
    let book = app.trade_book().await;
    assert_eq!(book["trades"][0]["trade"]["state"], "open", "{book}");
    assert_eq!(app.kite.gtt(gtt.id).await.unwrap().status, "active");

    // The 3 sold in Kite's own app: the trade closes as outside at Kite's price, and its GTT
    // is taken back first (left there, it would sell shares no longer held).
    let sale = OrderParams::new(
        "NSE",
        "INFY",
        TransactionType::Sell,
        OrderType::Market,
        Product::Cnc,
        3,
    );
    app.kite.place_order(&sale).await.unwrap();
    let closed = app
        .wait_for_book("the trade closed outside the app", |b| {
            b["trades"][0]["trade"]["state"] == "closed"
        })
        .await;
    let t = &closed["trades"][0]["trade"];
    assert_eq!(t["exit_reason"], "outside", "{t}");
    assert!(
        app.kite.gtt(gtt.id).await.is_err(),
        "the GTT deleted at Kite"
    );
    assert_eq!(
        app.orders().await.len(),
        2,
        "the entry and its GTT, nothing sent"
    );
    app.stop().await;
}
