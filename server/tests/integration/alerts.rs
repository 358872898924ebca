//! Alerts end to end on the real server and the simulator: an alert made through the server
//! functions fires once when the price crosses (its history, its state, the toasts' feed),
//! stays fired across a restart, and arms again when enabled; a repeating alert waits its
//! cooldown; a wrong draft is refused field by field with nothing stored; a deleted alert's
//! history stays.

use std::time::Duration;

use osp_core::model::Price;
use serde_json::{Value, json};

use crate::helpers::{TestApp, eventually, moved, problem_fields, spawn_app, spawn_app_in};

const INFY: u32 = 408_065;

fn draft(operator: &str, value: &str, repeat: &str, cooldown: &str) -> Value {
    json!({ "draft": {
        "token": INFY, "metric": "last_price", "operator": operator, "value": value,
        "against": 0, "repeat": repeat, "cooldown": cooldown, "window_from": "",
        "window_to": "", "note": "breakout watch", "enabled": true,
    }})
}

async fn history(app: &TestApp, id: i64) -> Vec<Value> {
    let (status, events) = app
        .call_form(
            "alerts/history",
            &[("alert", &id.to_string()), ("limit", "50")],
        )
        .await;
    assert_eq!(status, 200, "{events}");
    events.as_array().unwrap().clone()
}

async fn alert(app: &TestApp, id: i64) -> Value {
    let (status, view) = app.call_form("alerts", &[]).await;
    assert_eq!(status, 200, "{view}");
    view["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_crossing_fires_the_alert_once_and_it_stays_fired_until_armed_again() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_in(dir, &[]).await;
    let ltp = app.ltp("NSE:INFY").await;
    let level = moved(ltp, 300);
    let (status, created) = app
        .call_json(
            "alerts/create",
            draft("crosses_above", &level.to_string(), "once", ""),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["state"], "armed");
    assert_eq!(created["created_by"], crate::helpers::ADMIN);
    let (_, listed) = app.call_form("alerts", &[]).await;
    assert_eq!(listed["watched"], 1, "{listed}");
    let since = app.call_form("activity", &[("since_ms", "0")]).await.1["next_since"]
        .as_i64()
        .unwrap_or(0);

    // The market goes through it: one firing, with the price it saw.
    app.trade_at(INFY, moved(level, 50)).await;
    let events = eventually("the alert's firing", async || {
        let events = history(&app, id).await;
        (!events.is_empty()).then_some(events)
    })
    .await;
    assert_eq!(events.len(), 1);
    let seen = Price::parse(events[0]["last_price"].as_str().unwrap()).unwrap();
    assert!(seen >= level, "fired at {seen}, the alert is at {level}");
    assert!(
        events[0]["text"]
            .as_str()
            .unwrap()
            .contains("INFY LTP crosses above"),
        "{events:?}"
    );
    assert!(
        events[0]["text"]
            .as_str()
            .unwrap()
            .contains("breakout watch")
    );
    let fired = alert(&app, id).await;
    assert_eq!(fired["state"], "fired", "{fired}");
    assert_eq!(fired["fired_count"], 1);
    // The toasts' feed says so.
    let (_, feed) = app
        .call_form("activity", &[("since_ms", &since.to_string())])
        .await;
    assert!(
        feed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "alert_fired"),
        "{feed}"
    );

    // Down and through again: a one-shot alert does not fire twice.
    app.trade_at(INFY, moved(level, -100)).await;
    app.trade_at(INFY, moved(level, 100)).await;
    assert_eq!(history(&app, id).await.len(), 1);

    // After a restart it is still fired and not watched.
    let dir = app.stop_keeping_data().await;
    let app = spawn_app_in(dir, &[]).await;
    assert_eq!(alert(&app, id).await["state"], "fired");
    assert_eq!(app.call_form("alerts", &[]).await.1["watched"], 0);

    // Armed again (enable): it watches anew from where the price stands.
    let (status, armed) = app
        .call_form(
            "alerts/enable",
            &[("id", &id.to_string()), ("enabled", "true")],
        )
        .await;
    assert_eq!(status, 200, "{armed}");
    assert_eq!(armed["state"], "armed");
    app.trade_at(INFY, moved(level, -100)).await;
    app.trade_at(INFY, moved(level, 100)).await;
    eventually("the second firing", async || {
        (history(&app, id).await.len() == 2).then_some(())
    })
    .await;

    // Deleted: gone from the list, its history kept.
    let (status, _) = app
        .call_form("alerts/delete", &[("id", &id.to_string())])
        .await;
    assert_eq!(status, 200);
    assert!(alert(&app, id).await.is_null());
    assert_eq!(history(&app, id).await.len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn a_repeating_alert_fires_again_only_after_its_cooldown() {
    let app = spawn_app().await;
    let ltp = app.ltp("NSE:INFY").await;
    // Always true (at or above a price far below): fires at once, then once per 2 s.
    let floor = moved(ltp, -5_000);
    let (status, created) = app
        .call_json(
            "alerts/create",
            draft(">=", &floor.to_string(), "every", "2s"),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_i64().unwrap();
    eventually("the first firing", async || {
        (!history(&app, id).await.is_empty()).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(4_500)).await;
    let events = history(&app, id).await;
    let times: Vec<i64> = events
        .iter()
        .map(|e| e["at_ms"].as_i64().unwrap())
        .collect();
    assert!(
        (2..=4).contains(&times.len()),
        "ticks every demo interval, fires every 2 s: {times:?}"
    );
    for pair in times.windows(2) {
        assert!(
            pair[0] - pair[1] >= 2_000,
            "closer than the cooldown: {times:?}"
        );
    }
    assert_eq!(alert(&app, id).await["state"], "armed", "it keeps watching");
    app.stop().await;
}

#[tokio::test]
async fn a_wrong_alert_is_refused_field_by_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let bad = json!({ "draft": {
        "token": INFY, "metric": "last_price", "operator": "crosses_above", "value": "-5",
        "against": 0, "repeat": "every", "cooldown": "never", "window_from": "16:00",
        "window_to": "09:00", "note": "", "enabled": true,
    }});
    let (status, refused) = app.call_json("alerts/create", bad).await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(
        problem_fields(&refused),
        ["value", "cooldown", "window_to"],
        "{refused}"
    );
    let unknown = json!({ "draft": {
        "token": 1, "metric": "volume", "operator": ">=", "value": "1,00,000",
        "against": INFY, "repeat": "once", "cooldown": "", "window_from": "",
        "window_to": "", "note": "", "enabled": true,
    }});
    let (status, refused) = app.call_json("alerts/create", unknown).await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(problem_fields(&refused), ["instrument"], "{refused}");
    let (_, listed) = app.call_form("alerts", &[]).await;
    assert!(listed["alerts"].as_array().unwrap().is_empty(), "{listed}");
    // A missing alert is a 404 with what to do.
    let (status, missing) = app
        .call_form("alerts/enable", &[("id", "999"), ("enabled", "true")])
        .await;
    assert_eq!(status, 404, "{missing}");
    app.stop().await;
}
