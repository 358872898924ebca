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
    let (status, body) = ready(&app).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ready"], true);
    assert_eq!(body["database"]["ready"], true);
    assert_eq!(body["database"]["backend"], "sqlite");
    assert_eq!(body["feed"]["ready"], true, "{body}");
    let workers = body["workers"].as_array().unwrap();
    assert_eq!(workers.len(), 1, "{body}");
    assert_eq!(workers[0]["name"], "trading");
    assert_eq!(workers[0]["phase"], "running");
    assert_eq!(workers[0]["restarts"], 0);
    app.stop().await;

    // Paper mode runs the paper matcher beside it.
    let paper = spawn_app_with(&[("OSP__MODE", "paper")]).await;
    let (status, body) = ready(&paper).await;
    assert_eq!(status, 200, "{body}");
    let names: Vec<_> = body["workers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["trading", "paper-matcher"]);
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
    let (status, placed) = app
        .call_json(
            "orders/place",
            serde_json::json!({ "ticket": {
                "token": 408_065, "side": "buy", "quantity": "1", "product": "intraday",
                "kind": "market", "price": "", "trigger": "",
            }}),
        )
        .await;
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
    let (status, placed) = app
        .call_json(
            "orders/place",
            serde_json::json!({ "ticket": {
                "token": 408_065, "side": "buy", "quantity": "1", "product": "intraday",
                "kind": "market", "price": "", "trigger": "",
            }}),
        )
        .await;
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
