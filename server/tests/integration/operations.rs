//! Operating the server: `/ready` per component (database, feed, each worker), and `/metrics`
//! in Prometheus text on its own loopback listener — never on the public port.

use crate::helpers::{spawn_app, spawn_app_with};

async fn ready(app: &crate::helpers::TestApp) -> (u16, serde_json::Value) {
    let response = app.client.get(app.url("/ready")).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn ready_reports_the_database_the_feed_and_every_worker() {
    let app = spawn_app().await;
    crate::helpers::eventually("every worker running", async || {
        let (_, body) = ready(&app).await;
        let running = body["workers"]
            .as_array()?
            .iter()
            .filter(|w| w["phase"] == "running")
            .count();
        (running == 4).then_some(())
    })
    .await;
    let (status, body) = ready(&app).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ready"], true);
    assert_eq!(body["database"]["ready"], true);
    assert_eq!(body["database"]["backend"], "sqlite");
    assert_eq!(body["feed"]["ready"], true, "{body}");
    let workers = body["workers"].as_array().unwrap();
    assert_eq!(workers.len(), 4, "{body}");
    assert_eq!(workers[0]["name"], "trading");
    assert_eq!(workers[0]["phase"], "running");
    assert_eq!(workers[0]["restarts"], 0);
    assert_eq!(workers[1]["name"], "webhooks");
    assert_eq!(workers[2]["name"], "alerts");
    assert_eq!(workers[2]["phase"], "running", "{body}");
    assert_eq!(workers[3]["name"], "kite-alerts");
    assert_eq!(workers[3]["phase"], "running", "{body}");
    app.stop().await;

    // Paper mode runs the paper matcher beside it.
    let paper =
        spawn_app_with(&[("OSP__MODE", "paper"), ("OSP__KITE__ENDPOINT", "simulator")]).await;
    let (status, body) = ready(&paper).await;
    assert_eq!(status, 200, "{body}");
    let names: Vec<_> = body["workers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "trading",
            "webhooks",
            "alerts",
            "kite-alerts",
            "paper-matcher"
        ]
    );
    paper.stop().await;
}

#[tokio::test]
async fn metrics_are_prometheus_text_on_their_own_listener_only() {
    let app = spawn_app().await;
    // Something to count: two requests to a route, one to a page with an id in its path.
    for _ in 0..2 {
        assert_eq!(app.health().await.0, 200);
    }
    let page = app
        .client
        .get(app.url("/instrument/408065"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);

    // And an order, so the broker call is counted.
    let (status, placed) = app.call_json("orders/place", market_ticket()).await;
    assert_eq!(status, 200, "{placed}");

    let addr = app.metrics_addr.expect("metrics are served in tests");
    assert!(addr.ip().is_loopback(), "loopback by default: {addr}");
    let response = app
        .client
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = response.text().await.unwrap();
    let health = text
        .lines()
        .find(|l| {
            l.starts_with("osp_http_requests_total{")
                && l.contains("route=\"/health\"")
                && l.contains("status=\"200\"")
        })
        .unwrap_or_else(|| panic!("no /health request counted:\n{text}"));
    let count: f64 = health.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(count >= 2.0, "{health}");
    // The route's pattern, never the raw path with its id.
    assert!(
        text.contains("route=\"/instrument/{token}\"")
            || text.contains("route=\"/instrument/:token\""),
        "pages are counted by pattern:\n{}",
        text.lines()
            .filter(|l| l.contains("instrument"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(!text.contains("route=\"/instrument/408065\""));
    assert!(
        text.contains("osp_http_request_duration_seconds_bucket{"),
        "a histogram"
    );
    assert!(text.contains("osp_db_pool_connections "), "{text}");
    assert!(
        text.contains("osp_ticks_received_total"),
        "the demo ticker's ticks"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("osp_broker_calls_total{")
                && l.contains("endpoint=\"POST /orders\"")
                && l.contains("result=\"2xx\"")),
        "the order's placement is counted by endpoint and result"
    );

    // The fill came back through the trading worker: counted by state.
    crate::helpers::eventually("the filled order counted", async || {
        let text = app
            .client
            .get(format!("http://{addr}/metrics"))
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        text.contains("osp_order_updates_total{state=\"filled\"}")
            .then_some(())
    })
    .await;

    // Not on the public port.
    let public = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn a_restarted_trading_worker_still_turns_fills_into_trades() {
    let app = spawn_app().await;
    crate::helpers::eventually("the trading worker running", async || {
        (trading_phase(&app).await == "running").then_some(())
    })
    .await;
    let (status, workers) = app.call_form("workers", &[]).await;
    assert_eq!(status, 200, "{workers}");
    assert_eq!(workers[0]["name"], "trading");
    assert_eq!(workers[0]["phase"], "running");

    let (status, _) = app
        .call_form("workers/restart", &[("name", "trading")])
        .await;
    assert_eq!(status, 200);
    let (status, unknown) = app
        .call_form("workers/restart", &[("name", "nobody")])
        .await;
    assert_eq!(status, 404, "{unknown}");

    // The new run reads order updates: a fill after the restart opens its trade.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (status, placed) = app.call_json("orders/place", market_ticket()).await;
    assert_eq!(status, 200, "{placed}");
    app.wait_for_book("the trade of the fill after the restart", |b| {
        b["open_positions"] == 1
    })
    .await;
    let (_, workers) = app.call_form("workers", &[]).await;
    assert_eq!(workers[0]["phase"], "running");
    assert_eq!(
        workers[0]["restarts"], 0,
        "asked for, not a failure: {workers}"
    );
    app.stop().await;
}

async fn leases_round_trip(db: &osp_server::database::Database) {
    use osp_core::ports::LeaseStore;
    assert_eq!(db.holder("trading").await.unwrap(), None);
    assert!(db.acquire("trading", "a", 1_000, 500).await.unwrap());
    assert!(
        !db.acquire("trading", "b", 1_200, 500).await.unwrap(),
        "held by a"
    );
    assert!(
        db.acquire("trading", "a", 1_300, 500).await.unwrap(),
        "a renews"
    );
    assert_eq!(
        db.holder("trading").await.unwrap(),
        Some(("a".to_owned(), 1_800))
    );
    assert!(
        !db.acquire("trading", "b", 1_800, 500).await.unwrap(),
        "not yet lapsed"
    );
    // a stops renewing (a crash): once it lapses, b takes it over.
    assert!(db.acquire("trading", "b", 1_801, 500).await.unwrap());
    assert!(
        !db.acquire("trading", "a", 1_900, 500).await.unwrap(),
        "a lost it"
    );
    db.release("trading", "a").await.unwrap();
    assert_eq!(
        db.holder("trading").await.unwrap().unwrap().0,
        "b",
        "only the holder releases"
    );
    db.release("trading", "b").await.unwrap();
    assert!(
        db.acquire("trading", "a", 1_950, 500).await.unwrap(),
        "free after a release"
    );
}

#[tokio::test]
async fn sqlite_leases_go_to_one_holder_and_lapse() {
    let (db, _dir) = crate::helpers::sqlite_database().await;
    leases_round_trip(&db).await;
}

#[tokio::test]
async fn postgres_leases_go_to_one_holder_and_lapse() {
    let (db, name) = crate::helpers::postgres_database().await;
    leases_round_trip(&db).await;
    db.close().await;
    crate::helpers::drop_postgres_database(&name).await;
}

fn market_ticket() -> serde_json::Value {
    serde_json::json!({ "ticket": {
        "token": 408_065, "side": "buy", "quantity": "1", "product": "intraday",
        "kind": "market", "price": "", "trigger": "",
    }})
}

async fn trading_phase(app: &crate::helpers::TestApp) -> String {
    let (_, workers) = app.call_form("workers", &[]).await;
    workers[0]["phase"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_second_server_on_the_same_database_stands_by_and_takes_over_when_the_first_stops() {
    let shared = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", shared.path().join("osp.db").display());
    let env = [
        ("OSP__DATABASE__URL", url.as_str()),
        ("OSP__WORKERS__LEASE_TTL_MS", "1500"),
    ];
    let first = spawn_app_with(&env).await;
    crate::helpers::eventually("the first server trading", async || {
        (trading_phase(&first).await == "running").then_some(())
    })
    .await;
    let second = spawn_app_with(&env).await;
    crate::helpers::eventually("the second server standing by", async || {
        (trading_phase(&second).await == "standby").then_some(())
    })
    .await;
    let (status, body) = ready(&second).await;
    assert_eq!(status, 200, "a standby is ready: {body}");
    // Every leased worker stands by there: one process fires alerts, sends the webhook's
    // deliveries and calls Kite for its alerts.
    let (_, workers) = second.call_form("workers", &[]).await;
    for name in ["alerts", "webhooks", "kite-alerts"] {
        let worker = workers
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {workers}"));
        assert_eq!(worker["phase"], "standby", "{name}: {workers}");
    }

    // The standby sends nothing, and says why.
    let (status, refused) = second.call_json("orders/place", market_ticket()).await;
    assert_eq!(status, 200, "{refused}");
    assert_eq!(refused["state"], "rejected", "{refused}");
    assert!(
        refused["reason"].as_str().unwrap().contains("standby"),
        "{refused}"
    );
    assert!(refused["broker_order_id"].is_null());

    // A level set through the first server, after the second one started: the second one
    // learns of it when it takes over.
    let level = crate::helpers::moved(second.ltp("NSE:INFY").await, 500);
    let (status, created) = first
        .call_json(
            "levels/create",
            serde_json::json!({ "draft": {
                "token": 408_065, "price": level.to_string(), "trigger": "up", "on_up": "buy",
                "on_down": null, "quantity": "1", "product": "intraday", "limit_offset": "",
                "target": "", "stop_loss": "", "trailing_stop": "", "confirmation": "cross",
                "confirmation_value": "", "rearm": "once", "rearm_distance": "",
                "window_from": "", "window_to": "", "enabled": true, "note": "",
            }}),
        )
        .await;
    assert_eq!(status, 200, "{created}");

    // The first stops (and gives the lease up): the second takes over and trades.
    first.stop().await;
    crate::helpers::eventually("the second server taking over", async || {
        (trading_phase(&second).await == "running").then_some(())
    })
    .await;
    // Once its monitor has seen a price under the level, the market jumps over it.
    second.watching(408_065).await;
    second
        .trade_at(408_065, crate::helpers::moved(level, 50))
        .await;
    let book = second
        .wait_for_book("the level's trade on the new leader", |b| {
            b["open_positions"] == 1
        })
        .await;
    assert_eq!(
        book["trades"][0]["trade"]["level"], created["stored"]["level"]["id"],
        "{book}"
    );
    second.stop().await;
}

#[tokio::test]
async fn a_server_that_loses_its_lease_stops_trading_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("osp.db");
    let url = format!("sqlite://{}", path.display());
    let app = spawn_app_with(&[
        ("OSP__DATABASE__URL", url.as_str()),
        ("OSP__WORKERS__LEASE_TTL_MS", "1500"),
    ])
    .await;
    crate::helpers::eventually("the trading worker running", async || {
        (trading_phase(&app).await == "running").then_some(())
    })
    .await;
    // Another process takes the lease over behind its back (as after a long stall).
    let mut other = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    sqlx::query("UPDATE worker_leases SET holder = 'elsewhere', expires_ms = $1")
        .bind(i64::MAX / 2)
        .execute(&mut other)
        .await
        .unwrap();
    crate::helpers::eventually(
        "the worker standing by after the lost renewal",
        async || (trading_phase(&app).await == "standby").then_some(()),
    )
    .await;
    let (_, workers) = app.call_form("workers", &[]).await;
    assert!(
        workers[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("lease could not be renewed"),
        "{workers}"
    );
    let (_, refused) = app.call_json("orders/place", market_ticket()).await;
    assert_eq!(refused["state"], "rejected", "{refused}");
    assert!(refused["reason"].as_str().unwrap().contains("standby"));
    app.stop().await;
}

#[tokio::test]
async fn the_feed_figures_say_its_connections_instruments_and_packets() {
    let app = spawn_app().await;
    let first = crate::helpers::eventually("a connected feed", async || {
        let (status, figures) = app.call_form("feed", &[]).await;
        assert_eq!(status, 200, "{figures}");
        (figures["connections"][0] == "connected" && figures["packets"].as_u64() > Some(0))
            .then_some(figures)
    })
    .await;
    // Kite's limits: 3 connections × 3000 instruments per API key.
    assert_eq!(first["capacity"], 9000, "{first}");
    let subscribed = first["subscribed"].as_u64().unwrap();
    assert!(subscribed > 0 && subscribed <= 9000, "{first}");
    assert!(first["last_tick_ms"].as_i64().is_some(), "{first}");
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let (_, later) = app.call_form("feed", &[]).await;
    assert!(
        later["packets"].as_u64() > first["packets"].as_u64(),
        "the demo market keeps ticking: {first} then {later}"
    );
}
