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

    // The statement as Kite reports it: the equity segment's funds, no holdings yet, and both
    // orders in the order and trade books — the app's and the one placed outside it.
    let statement = eventually("both orders in the statement", async || {
        let view = account(&app).await;
        let html = view["statement_html"]
            .as_str()
            .expect("HTML text")
            .to_owned();
        (html.matches("data-testid=\"book-fill\"").count() == 2).then_some(html)
    })
    .await;
    let funds = statement
        .split("data-testid=\"funds-row\"")
        .nth(1)
        .expect("a funds row");
    assert!(funds.contains("equity"), "{statement}");
    assert!(
        statement.contains("data-testid=\"no-holdings\""),
        "{statement}"
    );
    let order_rows: Vec<&str> = statement
        .split("data-testid=\"book-order\"")
        .skip(1)
        .collect();
    assert_eq!(order_rows.len(), 2, "{statement}");
    let whose = |symbol: &str| {
        let row = order_rows
            .iter()
            .find(|r| r.split("</tr>").next().unwrap().contains(symbol))
            .unwrap_or_else(|| panic!("{symbol} in {statement}"));
        row.split('>').next().unwrap().to_owned()
    };
    assert!(
        whose("NSE INFY").contains("data-whose=\"app\""),
        "{statement}"
    );
    assert!(
        whose("NSE SBIN").contains("data-whose=\"outside\""),
        "{statement}"
    );
    assert!(
        html.contains("data-testid=\"statement\""),
        "a viewer's first HTML has it"
    );
    assert!(html.contains("data-testid=\"order-book\""), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn an_outside_position_adopted_becomes_a_trade_and_its_stop_stands_at_kite() {
    use kite_connect::common::enums::{OrderType, Product, TransactionType};
    use kite_connect::http::models::OrderParams;
    use osp_core::model::Price;
    let app = spawn_app().await;
    // 4 SBIN bought at Kite directly, as in Kite's own app.
    let outside = OrderParams::new(
        "NSE",
        "SBIN",
        TransactionType::Buy,
        OrderType::Market,
        Product::Mis,
        4,
    );
    app.kite.place_order(&outside).await.unwrap();
    // Its fill raises a mismatch: nothing of the app's explains those units yet.
    let view = eventually(
        "the SBIN position on the account, unexplained",
        async || {
            let view = account(&app).await;
            (row(&view, "SBIN").is_some() && view["mismatches"].as_array().unwrap().len() == 1)
                .then_some(view)
        },
    )
    .await;
    let sbin = row(&view, "SBIN").unwrap();
    assert_eq!(sbin["outside"], 4, "{sbin}");
    let average = Price::parse(sbin["position"]["average_price"].as_str().unwrap()).unwrap();
    let ltp = Price::parse(sbin["ltp"].as_str().unwrap()).unwrap();
    let stop = ltp
        .checked_sub(Price::parse("20").unwrap())
        .unwrap()
        .snap_to_tick(Price::parse("0.05").unwrap(), false);
    let draft = |entry: &str, stop: &str| {
        json!({ "draft": {
            "exchange": "NSE", "tradingsymbol": "SBIN", "product": "intraday",
            "entry_price": entry, "stop_loss": stop, "target": "",
        }})
    };

    // A stop above the market is refused, named, and nothing is adopted or sent.
    let above = ltp.checked_add(Price::parse("50").unwrap()).unwrap();
    let (status, refused) = app
        .call_json("account/adopt", draft("", &above.to_string()))
        .await;
    assert_eq!(status, 400, "{refused}");
    assert!(refused.to_string().contains("stop_loss"), "{refused}");
    assert_eq!(app.trade_book().await["open_positions"], 0);

    // Adopted at Kite's average with a stop: a trade of 4, who adopted it and when, and its
    // stop order at Kite — the only order the app placed.
    let (status, trade) = app
        .call_json("account/adopt", draft("", &stop.to_string()))
        .await;
    assert_eq!(status, 200, "{trade}");
    assert_eq!(
        (trade["quantity"].clone(), trade["side"].clone()),
        (json!(4), json!("buy"))
    );
    assert_eq!(
        Price::parse(trade["entry_price"].as_str().unwrap()).unwrap(),
        average
    );
    assert_eq!(trade["adopted"]["by"], "admin", "{trade}");
    assert_eq!(trade["adopted"]["broker_average"], true);
    let standing = eventually("the adopted trade's stop order at Kite", async || {
        app.kite
            .orders()
            .await
            .unwrap()
            .into_iter()
            .find(|o| o.order_type == "SL-M" && o.tradingsymbol == "SBIN")
    })
    .await;
    assert_eq!(
        (
            standing.transaction_type.as_str(),
            standing.quantity,
            standing.trigger_price
        ),
        ("SELL", 4, stop)
    );
    assert_eq!(app.orders().await.len(), 1, "only the stop order");
    let after = account(&app).await;
    let sbin = row(&after, "SBIN").unwrap();
    assert_eq!(
        (sbin["managed"].clone(), sbin["outside"].clone()),
        (json!(4), json!(0))
    );
    assert_eq!(
        after["mismatches"],
        json!([]),
        "adopted units are explained"
    );
    // Nothing is left outside to adopt a second time.
    let (status, again) = app.call_json("account/adopt", draft("", "")).await;
    assert_eq!(status, 400, "{again}");
    assert!(again.to_string().contains("nothing of SBIN"), "{again}");
    app.stop().await;
}

#[tokio::test]
async fn units_bought_outside_hold_entries_back_on_that_instrument_until_a_trader_acknowledges() {
    use kite_connect::common::enums::{OrderType, Product, TransactionType};
    use kite_connect::http::models::OrderParams;
    const SBIN: u32 = 779_521;
    let app = spawn_app().await;
    let buy = |token: u32| {
        json!({ "ticket": {
            "token": token, "side": "buy", "quantity": "1", "product": "intraday",
            "kind": "market", "price": "", "trigger": "",
        }})
    };
    // 2 SBIN bought at Kite directly: no trade of the app's explains them.
    let outside = OrderParams::new(
        "NSE",
        "SBIN",
        TransactionType::Buy,
        OrderType::Market,
        Product::Mis,
        2,
    );
    app.kite.place_order(&outside).await.unwrap();
    let view = eventually("the mismatch raised", async || {
        let view = account(&app).await;
        (view["mismatches"].as_array().unwrap().len() == 1).then_some(view)
    })
    .await;
    let mismatch = &view["mismatches"][0];
    assert_eq!(
        (mismatch["tradingsymbol"].clone(), mismatch["held"].clone()),
        (json!("SBIN"), json!(2)),
        "{mismatch}"
    );
    assert!(mismatch["acknowledged"].is_null());
    // Every page's top bar counts it.
    let (_, status) = app.call_form("status", &[]).await;
    assert_eq!(status["mismatches"], 1, "{status}");

    // An entry on SBIN is refused and says why; one on INFY goes.
    let (_, refused) = app.call_json("orders/place", buy(SBIN)).await;
    assert_eq!(refused["state"], "rejected", "{refused}");
    let reason = refused["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("2 units the app cannot explain") && reason.contains("Account page"),
        "{refused}"
    );
    let (_, placed) = app.call_json("orders/place", buy(INFY)).await;
    assert!(
        matches!(placed["state"].as_str(), Some("placed" | "filled")),
        "{placed}"
    );

    // A viewer may not acknowledge it; a trader may.
    let key =
        json!({ "key": { "exchange": "NSE", "tradingsymbol": "SBIN", "product": "intraday" } });
    let viewer = app.user_client("vic", "viewer").await;
    let forbidden = viewer
        .post(app.url("/api/account/acknowledge"))
        .json(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status().as_u16(), 403);
    let (code, acked) = app.call_json("account/acknowledge", key.clone()).await;
    assert_eq!(code, 200, "{acked}");
    assert!(acked["acknowledged"]["by"].is_string(), "{acked}");
    let (_, status) = app.call_form("status", &[]).await;
    assert_eq!(status["mismatches"], 0, "{status}");
    let (_, placed) = app.call_json("orders/place", buy(SBIN)).await;
    assert!(
        matches!(placed["state"].as_str(), Some("placed" | "filled")),
        "{placed}"
    );
    // A position with none to acknowledge is named.
    let (code, missing) = app
        .call_json(
            "account/acknowledge",
            json!({ "key": { "exchange": "NSE", "tradingsymbol": "TCS", "product": "intraday" } }),
        )
        .await;
    assert_eq!(code, 404, "{missing}");
    assert!(missing.to_string().contains("TCS"), "{missing}");

    // The page's first HTML shows it, acknowledged, for a viewer too.
    let html = viewer
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-testid=\"mismatch\""), "{html}");
    assert!(html.contains("acknowledged by"), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn units_held_outside_are_exited_at_kite_by_one_order_even_with_the_kill_switch_on() {
    use kite_connect::common::enums::{OrderType, Product, TransactionType};
    use kite_connect::http::models::OrderParams;
    const SBIN: u32 = 779_521;
    let app = spawn_app().await;
    // The app's own trade of 1 SBIN, then 3 more bought at Kite directly.
    let (_, placed) = app
        .call_json(
            "orders/place",
            json!({ "ticket": {
                "token": SBIN, "side": "buy", "quantity": "1", "product": "intraday",
                "kind": "market", "price": "", "trigger": "",
            }}),
        )
        .await;
    assert!(
        matches!(placed["state"].as_str(), Some("placed" | "filled")),
        "{placed}"
    );
    app.wait_for_book("the app's trade open", |b| b["open_positions"] == 1)
        .await;
    let outside = OrderParams::new(
        "NSE",
        "SBIN",
        TransactionType::Buy,
        OrderType::Market,
        Product::Mis,
        3,
    );
    app.kite.place_order(&outside).await.unwrap();
    eventually("the mismatch raised", async || {
        let view = account(&app).await;
        (view["mismatches"].as_array().unwrap().len() == 1).then_some(())
    })
    .await;

    // The kill switch, without square-off, lists the outside units; it sends nothing for them.
    let (code, halted) = app
        .call_form("risk/kill-switch", &[("square_off", "false")])
        .await;
    assert_eq!(code, 200, "{halted}");
    let listed = &halted["outside"];
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{halted}");
    assert_eq!(
        (
            listed[0]["position"]["tradingsymbol"].clone(),
            listed[0]["outside"].clone(),
            listed[0]["managed"].clone()
        ),
        (json!("SBIN"), json!(3), json!(1))
    );

    // A viewer may not exit them; a wrong exchange is named; a trader's Exit sends one sell of
    // just the 3 at market, through the switch.
    let key =
        json!({ "key": { "exchange": "NSE", "tradingsymbol": "SBIN", "product": "intraday" } });
    let viewer = app.user_client("vic", "viewer").await;
    let forbidden = viewer
        .post(app.url("/api/account/exit-outside"))
        .json(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status().as_u16(), 403);
    let (code, wrong) = app
        .call_json(
            "account/exit-outside",
            json!({ "key": { "exchange": "XYZ", "tradingsymbol": "SBIN", "product": "intraday" } }),
        )
        .await;
    assert_eq!(code, 400, "{wrong}");
    let (code, exit) = app.call_json("account/exit-outside", key.clone()).await;
    assert_eq!(code, 200, "{exit}");
    assert_eq!(exit["outside_exit"], true, "{exit}");
    assert_ne!(exit["state"], "rejected", "{exit}");
    assert_eq!(
        (
            exit["request"]["side"].clone(),
            exit["request"]["quantity"].clone()
        ),
        (json!("sell"), json!(3))
    );
    let tag = exit["request"]["tag"].as_str().unwrap().to_owned();
    let at_kite = eventually("the exit filled at Kite", async || {
        let positions = app.kite.positions().await.unwrap();
        positions
            .net
            .into_iter()
            .find(|p| p.tradingsymbol == "SBIN" && p.quantity == 1)
    })
    .await;
    assert_eq!(at_kite.quantity, 1, "the app's trade's unit is left");
    let ours: Vec<_> = app
        .kite
        .orders()
        .await
        .unwrap()
        .into_iter()
        .filter(|o| o.tag.as_deref() == Some(tag.as_str()))
        .collect();
    assert_eq!(ours.len(), 1, "one order: {ours:?}");
    assert_eq!(
        (ours[0].transaction_type.as_str(), ours[0].quantity),
        ("SELL", 3)
    );
    // Its fill clears the mismatch and opens no trade: the app's one trade of 1 stands.
    eventually("the mismatch cleared", async || {
        let view = account(&app).await;
        view["mismatches"]
            .as_array()
            .unwrap()
            .is_empty()
            .then_some(())
    })
    .await;
    let book = app.trade_book().await;
    assert_eq!(book["open_positions"], 1, "{book}");
    assert_eq!(book["trades"].as_array().unwrap().len(), 1, "{book}");
    assert_eq!(book["trades"][0]["trade"]["quantity"], 1, "{book}");
    // Nothing is outside now: a second Exit is refused and sends nothing.
    let (code, again) = app.call_json("account/exit-outside", key).await;
    assert_eq!(code, 400, "{again}");
    assert!(again.to_string().contains("nothing of SBIN"), "{again}");
    assert_eq!(app.kite.orders().await.unwrap().len(), 3);
    app.stop().await;
}
