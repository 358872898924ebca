//! Trades end to end on the real server: a level's filled order opens a trade at its average
//! price, the trade monitor exits it at its target or stop through the same executor (one exit
//! order, against the simulator's matching engine), the trade closes with its realised profit,
//! an open trade survives a restart, and the exit button exits once.

use std::time::Duration;

use osp_core::model::Price;
use serde_json::{Value, json};

use crate::helpers::{TestApp, eventually, moved, spawn_app};

const INFY: u32 = 408_065;
const TICK: i64 = 500; // ₹0.05 in raw fixed-point units

fn price(v: &Value) -> Price {
    Price::parse(v.as_str().unwrap_or_else(|| panic!("a price, not {v}"))).unwrap()
}

/// A buy-on-the-way-up level on INFY with the given exits.
fn draft(level: Price, target: &str, stop: &str, trailing: &str) -> Value {
    json!({
        "token": INFY,
        "price": level.to_string(),
        "trigger": "up",
        "on_up": "buy",
        "on_down": null,
        "quantity": "3",
        "product": "intraday",
        "limit_offset": "",
        "target": target,
        "stop_loss": stop,
        "trailing_stop": trailing,
        "confirmation": "cross",
        "confirmation_value": "",
        "rearm": "once",
        "rearm_distance": "",
        "window_from": "",
        "window_to": "",
        "enabled": true,
        "note": "",
    })
}

fn first_trade(book: &Value) -> &Value {
    &book["trades"][0]
}

/// Creates the level, crosses it and waits for the trade it opens; returns the trade.
async fn open_trade_through_a_level(app: &TestApp, target: &str, stop: &str) -> Value {
    let level = moved(app.ltp("NSE:INFY").await, 300);
    let (status, created) = app
        .call_json(
            "levels/create",
            json!({ "draft": draft(level, target, stop, "") }),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    app.watching(INFY).await;
    app.trade_at(INFY, moved(level, 50)).await;
    let book = app
        .wait_for_book("an open trade", |b| {
            b["trades"].as_array().is_some_and(|t| t.len() == 1) && b["open_positions"] == 1
        })
        .await;
    first_trade(&book)["trade"].clone()
}

#[tokio::test]
async fn a_fill_opens_a_trade_at_its_average_and_the_target_closes_it_with_one_exit_order() {
    let app = spawn_app().await;
    assert_eq!(app.trade_book().await["open_positions"], 0);
    let (status, account) = app.call_form("paper/account", &[]).await;
    assert_eq!(
        (status, account),
        (200, Value::Null),
        "no paper account in demo mode"
    );
    let (status, start) = app.call_form("activity", &[]).await;
    assert_eq!(status, 200, "{start}");
    assert!(
        start["items"].as_array().unwrap().is_empty(),
        "nothing old at the start"
    );
    let since = start["next_since"].as_i64().unwrap().to_string();
    let trade = open_trade_through_a_level(&app, "4%", "4%").await;
    let entry_order = app
        .orders()
        .await
        .into_iter()
        .find(|o| o["closes"].is_null())
        .unwrap();
    assert_eq!(entry_order["state"], "filled");
    assert_eq!(trade["entry_intent"], entry_order["id"]);
    assert_eq!(trade["state"], "open");
    assert_eq!(trade["side"], "buy");
    assert_eq!(trade["quantity"], 3);
    let entry = price(&trade["entry_price"]);
    assert_eq!(
        entry,
        price(&entry_order["average_price"]),
        "the fill's average"
    );
    // 4 % of the entry, on the grid, no further than asked.
    let target = price(&trade["target"]);
    let stop = price(&trade["stop_loss"]);
    assert!(
        target > entry
            && target
                <= moved(entry, 400)
                    .checked_add(Price::from_raw(TICK))
                    .unwrap()
    );
    assert!(stop < entry);
    let live = app.trade_book().await;
    assert!(
        live["trades"][0]["unrealised"].is_string(),
        "live P&L: {live}"
    );

    // The market jumps past the target: one sell order for the three units, and the trade
    // closes. (1 % past it: the demo's walk keeps moving while the market exit is sent, and a
    // jump of one tick could be undone before it fills.)
    app.trade_at(INFY, moved(target, 100)).await;
    let closed = app
        .wait_for_book("the trade closed", |b| {
            first_trade(b)["trade"]["state"] == "closed"
        })
        .await;
    let t = &first_trade(&closed)["trade"];
    assert_eq!(t["exit_reason"], "target");
    assert_eq!(t["exited"], 3);
    assert_eq!(t["quantity"], 0);
    let exit = price(&t["exit_price"]);
    assert!(
        exit >= target,
        "sold at or above the target: {exit} vs {target}"
    );
    let expected = exit.checked_sub(entry).unwrap().checked_mul_int(3).unwrap();
    assert_eq!(price(&t["realised"]), expected, "(exit - entry) x 3");
    assert_eq!(price(&closed["realised_today"]), expected);
    assert_eq!(closed["open_positions"], 0);

    // The entry, its stop order at the broker (cancelled before the exit went) and one exit.
    let all = app.orders().await;
    assert_eq!(all.len(), 3, "{all:?}");
    let exit_order = &all[0];
    assert_eq!(exit_order["closes"], t["id"]);
    assert_eq!(exit_order["request"]["side"], "sell");
    assert_eq!(exit_order["request"]["kind"]["type"], "market");
    assert_eq!(exit_order["request"]["quantity"], 3);
    assert_eq!(exit_order["state"], "filled");
    assert_eq!(t["exit_intent"], exit_order["id"]);
    let stop_order = &all[1];
    assert_eq!(stop_order["closes"], t["id"]);
    assert_eq!(stop_order["request"]["kind"]["type"], "stop_loss_market");
    assert_eq!(
        price(&stop_order["request"]["kind"]["trigger"]),
        stop,
        "at the trade's stop"
    );
    assert_eq!(
        stop_order["state"], "cancelled",
        "the target and the stop never both fill"
    );

    // The toasts' feed: the trigger, both fills and the close, once each.
    let (_, feed) = app.call_form("activity", &[("since_ms", &since)]).await;
    let kinds: Vec<&str> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "level_triggered",
            "order_filled",
            "order_filled",
            "trade_closed"
        ],
        "{feed}"
    );
    let next = feed["next_since"].as_i64().unwrap().to_string();
    let (_, again) = app.call_form("activity", &[("since_ms", &next)]).await;
    assert!(
        again["items"].as_array().unwrap().is_empty(),
        "shown once: {again}"
    );

    // Further moves do nothing more.
    app.trade_at(INFY, moved(target, 100)).await;
    app.trade_at(INFY, moved(entry, -600)).await;
    assert_eq!(app.orders().await.len(), 3, "no order after the close");
    app.stop().await;
}

#[tokio::test]
async fn a_stop_loss_exit_goes_out_while_an_entry_placement_hangs() {
    const SBIN: u32 = 779_521;
    let app = spawn_app().await;
    let trade = open_trade_through_a_level(&app, "", "2%").await;
    let stop = price(&trade["stop_loss"]);

    // Every SBIN placement from now on is taken by the broker but answered 5 s late.
    app.simulator
        .delay_placements_of(Some(("SBIN", Duration::from_secs(5))));
    let sbin = moved(app.ltp("NSE:SBIN").await, 300);
    let mut entry = draft(sbin, "", "", "");
    entry["token"] = json!(SBIN);
    let (status, created) = app
        .call_json("levels/create", json!({ "draft": entry }))
        .await;
    assert_eq!(status, 200, "{created}");
    let level = created["stored"]["level"]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    // The level's log: "triggered" when the order is recorded and sent, "order_placed" (or
    // "order_failed") once the broker's answer is back.
    let kinds = async || {
        let (status, log) = app
            .call_form("levels/log", &[("level", level.as_str()), ("limit", "20")])
            .await;
        assert_eq!(status, 200, "{log}");
        log.as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let answered = |kinds: &[String]| kinds.iter().any(|k| k.starts_with("order_"));
    app.watching(SBIN).await;
    assert!(app.sim.set_last_price(SBIN, moved(sbin, 50)));
    eventually("the SBIN entry sent", async || {
        kinds()
            .await
            .contains(&"triggered".to_owned())
            .then_some(())
    })
    .await;
    assert!(!answered(&kinds().await), "its answer has not come yet");

    // The INFY trade's stop is hit while the SBIN placement still hangs: its exit goes out and
    // fills now, not after the entry's answer.
    assert!(
        app.sim
            .set_last_price(INFY, stop.checked_sub(Price::from_raw(TICK)).unwrap())
    );
    // (The SBIN fill, reported by the order updates while the answer hangs, opens a trade too.)
    let infy = |b: &Value| {
        b["trades"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["trade"]["tradingsymbol"] == "INFY")
            .map(|t| t["trade"].clone())
            .unwrap()
    };
    let closed = app
        .wait_for_book("the stop-loss exit", |b| infy(b)["state"] == "closed")
        .await;
    assert_eq!(infy(&closed)["exit_reason"], "stop_loss");
    let now = kinds().await;
    assert!(
        !answered(&now),
        "the exit went out before the hanging entry's answer, not after it: {now:?}"
    );
    // The entry's answer comes in the end: placed, once.
    eventually("the SBIN entry's late answer", async || {
        let now = kinds().await;
        answered(&now).then_some(now)
    })
    .await;
    let sbin_orders = app
        .orders()
        .await
        .into_iter()
        .filter(|o| o["request"]["tradingsymbol"] == "SBIN")
        .count();
    assert_eq!(sbin_orders, 1);
    app.simulator.delay_placements_of(None);
    app.stop().await;
}

#[tokio::test]
async fn the_exit_button_exits_once_and_a_second_press_is_refused() {
    let app = spawn_app().await;
    let trade = open_trade_through_a_level(&app, "", "").await;
    let id = trade["id"].as_i64().unwrap().to_string();

    let (status, exiting) = app.call_form("trades/exit", &[("id", &id)]).await;
    assert_eq!(status, 200, "{exiting}");
    assert_ne!(exiting["state"], "open", "{exiting}");
    let (status, again) = app.call_form("trades/exit", &[("id", &id)]).await;
    assert_eq!(status, 400, "{again}");
    assert!(
        again["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("not open"),
        "{again}"
    );
    let closed = app
        .wait_for_book("the manual exit", |b| {
            first_trade(b)["trade"]["state"] == "closed"
        })
        .await;
    assert_eq!(first_trade(&closed)["trade"]["exit_reason"], "manual");
    assert_eq!(
        app.orders().await.len(),
        2,
        "one exit order for two presses (no stop order: the trade has no stop)"
    );

    let (status, missing) = app.call_form("trades/exit", &[("id", "999")]).await;
    assert_eq!(status, 404, "{missing}");
    let (status, bad) = app.call_form("trades/exit", &[("id", "seven")]).await;
    assert_eq!(status, 400, "{bad}");
    app.stop().await;
}

#[tokio::test]
async fn a_refused_exit_hands_the_trade_back_and_the_exit_button_still_closes_it() {
    let app = spawn_app().await;
    let trade = open_trade_through_a_level(&app, "", "").await;
    let id = trade["id"].as_i64().unwrap().to_string();

    // The broker fails the exit order: the trade is open again, and says why.
    app.simulator
        .fail_next_placements(1, kite_sim::RestFault::ServerError);
    let (status, exiting) = app.call_form("trades/exit", &[("id", &id)]).await;
    assert_eq!(status, 200, "{exiting}");
    let back = app
        .wait_for_book("the refused exit", |b| {
            b["trades"][0]["trade"]["refused_exits"] == 1
        })
        .await;
    let t = &back["trades"][0]["trade"];
    assert_eq!(t["state"], "open", "{t}");
    assert_eq!(t["quantity"], 3);
    assert!(
        t["problem"]
            .as_str()
            .unwrap()
            .contains("tries again shortly"),
        "{t}"
    );
    let orders = app.orders().await;
    assert_eq!(orders[0]["state"], "rejected", "the exit order: {orders:?}");
    assert_eq!(orders[0]["closes"], t["id"]);

    // The trader does not wait for the retry.
    let (status, exiting) = app.call_form("trades/exit", &[("id", &id)]).await;
    assert_eq!(status, 200, "{exiting}");
    let closed = app
        .wait_for_book("the manual exit", |b| {
            b["trades"][0]["trade"]["state"] == "closed"
        })
        .await;
    assert_eq!(closed["trades"][0]["trade"]["exit_reason"], "manual");
    assert_eq!(
        app.orders().await.len(),
        3,
        "entry, refused exit, manual exit"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_position_sold_outside_the_app_is_not_sold_again_and_its_trade_closes_as_outside() {
    use kite_connect::common::enums::{OrderType, Product, TransactionType};
    use kite_connect::http::models::OrderParams;
    let app = spawn_app().await;
    let trade = open_trade_through_a_level(&app, "", "3%").await;
    let stop = price(&trade["stop_loss"]);
    // The trader sells the 3 INFY in Kite's own app: Kite's position is flat, the app is not
    // told (the order carries none of its tags).
    let outside = OrderParams::new(
        "NSE",
        "INFY",
        TransactionType::Sell,
        OrderType::Market,
        Product::Mis,
        3,
    );
    app.kite.place_order(&outside).await.unwrap();
    let flat = app.kite.positions().await.unwrap();
    assert!(
        flat.net
            .iter()
            .filter(|p| p.tradingsymbol == "INFY")
            .all(|p| p.quantity == 0),
        "{flat:?}"
    );

    // Kite's news of that sale reaches the app: its stop order at Kite (which would now open a
    // short of 3 when the price falls to it) is cancelled, and the trade closes as closed
    // outside the app, at the price Kite sold at.
    let closed = app
        .wait_for_book("the trade closed outside the app", |b| {
            first_trade(b)["trade"]["state"] == "closed"
        })
        .await;
    let t = &first_trade(&closed)["trade"];
    assert_eq!(t["exit_reason"], "outside", "{t}");
    assert!(
        t["problem"]
            .as_str()
            .is_some_and(|p| p.starts_with("closed outside the app")),
        "{t}"
    );
    let sold_at = app
        .kite
        .positions()
        .await
        .unwrap()
        .net
        .into_iter()
        .find(|p| p.tradingsymbol == "INFY")
        .unwrap()
        .sell_price;
    assert_eq!(price(&t["exit_price"]), sold_at, "Kite's sale price");
    let at_kite = app.kite.orders().await.unwrap();
    assert_eq!(
        at_kite.len(),
        3,
        "the entry, its stop order and the trader's own sale: {at_kite:?}"
    );
    let stop_order = at_kite.iter().find(|o| o.order_type == "SL-M").unwrap();
    assert_eq!(stop_order.status, "CANCELLED");
    let orders = app.orders().await;
    assert!(
        orders
            .iter()
            .all(|o| o["request"]["kind"]["type"] != "market" || o["closes"].is_null()),
        "no exit sent: {orders:?}"
    );

    // The price falls through the old stop: nothing is sold at Kite.
    app.trade_at(INFY, stop.checked_sub(Price::from_raw(TICK)).unwrap())
        .await;
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
    assert_eq!(net, 0, "flat: no short opened by a forgotten stop order");
    // The exit button has nothing left to do.
    let id = t["id"].as_i64().unwrap().to_string();
    let (status, refused) = app.call_form("trades/exit", &[("id", &id)]).await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(app.kite.orders().await.unwrap().len(), 3);
    app.stop().await;
}

#[tokio::test]
async fn hedged_trades_on_one_instrument_each_exit_in_full() {
    let app = spawn_app().await;
    // A long of 3 through a level, then a short of 2 by hand: the broker nets them to 1 long.
    open_trade_through_a_level(&app, "", "").await;
    let (status, placed) = app
        .call_json(
            "orders/place",
            json!({ "ticket": {
                "token": INFY, "side": "sell", "quantity": "2", "product": "intraday",
                "kind": "market", "price": "", "trigger": "",
            }}),
        )
        .await;
    assert_eq!(status, 200, "{placed}");
    app.wait_for_book("both trades open", |b| b["open_positions"] == 2)
        .await;

    // The kill switch squares both off: each exit for its whole quantity (nothing was closed
    // outside the app, though the broker holds only the net 1).
    let (status, report) = app
        .call_form("risk/kill-switch", &[("square_off", "true")])
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["exits_sent"], 2, "{report}");
    let book = app
        .wait_for_book("both closed", |b| b["open_positions"] == 0)
        .await;
    for t in book["trades"].as_array().unwrap() {
        assert_eq!(t["trade"]["exit_reason"], "kill_switch", "{t}");
    }
    let exits: Vec<u64> = app
        .orders()
        .await
        .iter()
        .filter(|o| !o["closes"].is_null())
        .map(|o| o["filled_quantity"].as_u64().unwrap())
        .collect();
    assert_eq!(exits.len(), 2);
    assert_eq!(exits.iter().sum::<u64>(), 5, "3 sold and 2 bought back");
    let (status, _) = app.call_form("risk/release", &[]).await;
    assert_eq!(status, 200);
    app.stop().await;
}
