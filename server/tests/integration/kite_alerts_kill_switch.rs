//! The kill switch and Kite's ATO alerts, through the real server against the simulator:
//! engaging the switch takes every ATO alert the app can make again out of Kite's hands (Kite
//! cannot pause one, so it is deleted there and kept here), leaves the simple ones, and nothing
//! comes back by itself after the release — putting one back is a trader's act that meets the
//! risk gate like a new alert.

use osp_core::model::Price;
use serde_json::{Value, json};

use crate::helpers::{moved, spawn_app_with};

const INFY: u32 = 408_065;

fn draft(name: &str, kind: &str, value: Price) -> Value {
    let basket = if kind == "ato" {
        json!([{ "side": "buy", "quantity": "2", "order_type": "market", "price": "",
                 "product": "delivery" }])
    } else {
        json!([])
    };
    json!({ "draft": {
        "name": name, "token": INFY, "operator": ">=", "value": value.to_string(),
        "kind": kind, "order_token": null, "basket": basket,
    }})
}

#[tokio::test]
async fn the_kill_switch_takes_the_ato_alerts_from_kite_until_the_trader_puts_them_back() {
    let app = spawn_app_with(&[]).await;
    let level = moved(app.ltp("NSE:INFY").await, 300);
    let (status, ato) = app
        .call_json("kite-alerts/create", draft("breakout buy", "ato", level))
        .await;
    assert_eq!(status, 200, "{ato}");
    let (status, simple) = app
        .call_json("kite-alerts/create", draft("just tell me", "simple", level))
        .await;
    assert_eq!(status, 200, "{simple}");
    let ato_id = ato["id"].as_str().unwrap().to_owned();

    let (status, report) = app
        .call_form("risk/kill-switch", &[("square_off", "false")])
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["alerts_suspended"], 1, "{report}");
    let at_kite = app.kite.alerts().await.unwrap();
    assert_eq!(at_kite.len(), 1, "only the simple alert is left at Kite");
    assert_eq!(at_kite[0].name, "just tell me");

    let (status, board) = app.call_form("kite-alerts", &[]).await;
    assert_eq!(status, 200, "{board}");
    let suspended = board["suspended"].as_array().unwrap();
    assert_eq!(suspended.len(), 1, "{board}");
    assert_eq!(suspended[0]["alert"]["id"], ato_id.as_str());
    assert_eq!(board["mirror"]["alerts"].as_array().unwrap().len(), 1);

    // Not while the switch is on: the gate refuses before Kite is asked.
    let (status, refused) = app
        .call_form("kite-alerts/put-back", &[("id", &ato_id)])
        .await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused.to_string().contains("the kill switch is on"),
        "{refused}"
    );
    assert_eq!(app.kite.alerts().await.unwrap().len(), 1);

    // Released: still off Kite until put back.
    let (status, _) = app.call_form("risk/release", &[]).await;
    assert_eq!(status, 200);
    let (status, _) = app.call_form("kite-alerts/sync", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(app.kite.alerts().await.unwrap().len(), 1);

    let (status, back) = app
        .call_form("kite-alerts/put-back", &[("id", &ato_id)])
        .await;
    assert_eq!(status, 200, "{back}");
    assert_ne!(back["id"], ato_id.as_str(), "Kite gives it a new id");
    let at_kite = app.kite.alerts().await.unwrap();
    assert_eq!(at_kite.len(), 2);
    let made = at_kite.iter().find(|a| a.name == "breakout buy").unwrap();
    let basket = made.basket.as_ref().expect("made again with its basket");
    assert_eq!(basket.items[0].params.quantity, 2);
    let (_, board) = app.call_form("kite-alerts", &[]).await;
    assert!(board["suspended"].as_array().unwrap().is_empty(), "{board}");

    // Twice is not possible: it is no longer suspended.
    let (status, gone) = app
        .call_form("kite-alerts/let-go", &[("id", &ato_id)])
        .await;
    assert_eq!(status, 404, "{gone}");
}

#[tokio::test]
async fn a_suspended_ato_alert_can_be_let_go_and_a_viewer_can_do_neither() {
    let app = spawn_app_with(&[]).await;
    let level = moved(app.ltp("NSE:INFY").await, 300);
    let (status, ato) = app
        .call_json("kite-alerts/create", draft("sell the spike", "ato", level))
        .await;
    assert_eq!(status, 200, "{ato}");
    let ato_id = ato["id"].as_str().unwrap().to_owned();
    let (status, _) = app
        .call_form("risk/kill-switch", &[("square_off", "false")])
        .await;
    assert_eq!(status, 200);
    assert!(app.kite.alerts().await.unwrap().is_empty());

    let viewer = app.user_client("vera", "viewer").await;
    for endpoint in ["kite-alerts/put-back", "kite-alerts/let-go"] {
        let answer = viewer
            .post(app.url(&format!("/api/{endpoint}")))
            .form(&[("id", &ato_id)])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 403, "{endpoint}");
    }
    let (_, board) = app.call_form("kite-alerts", &[]).await;
    assert_eq!(board["suspended"].as_array().unwrap().len(), 1, "{board}");

    let (status, body) = app
        .call_form("kite-alerts/let-go", &[("id", &ato_id)])
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, board) = app.call_form("kite-alerts", &[]).await;
    assert!(board["suspended"].as_array().unwrap().is_empty(), "{board}");
    let (status, _) = app.call_form("risk/release", &[]).await;
    assert_eq!(status, 200);
    assert!(
        app.kite.alerts().await.unwrap().is_empty(),
        "let go: never made again"
    );
}
