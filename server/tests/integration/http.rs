use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_reports_database_feed_and_version() {
    let app = spawn_app().await;
    // The demo feed ticks every 50 ms: health says ok once the first tick is in.
    let response = crate::helpers::eventually("the feed reporting in", async || {
        let response = app.client.get(app.url("/health")).send().await.unwrap();
        (response.status() == 200).then_some(response)
    })
    .await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-request-id"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["mode"], "demo");
    assert_eq!(body["database"]["backend"], "sqlite");
    assert_eq!(body["database"]["status"], "ok");
    assert_eq!(body["feed"]["status"], "ok");
    app.stop().await;
}

#[tokio::test]
async fn a_given_request_id_is_echoed_back() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-me-123");
    app.stop().await;
}

#[tokio::test]
async fn the_status_server_function_round_trips() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/status"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let status: osp_core::model::AppStatus = response.json().await.unwrap();
    assert_eq!(status.mode, osp_core::model::TradingMode::Demo);
    assert_eq!(status.database_backend, "sqlite");
    assert_eq!(status.database.state, osp_core::model::HealthState::Ok);
    assert!(status.server_time_ms > 1_700_000_000_000);
    app.stop().await;
}

fn symbols(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["tradingsymbol"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn watchlists_are_edited_through_server_functions_with_clear_errors() {
    let app = spawn_app().await;
    let (status, view) = app.call_form("watchlists", &[]).await;
    assert_eq!(status, 200, "{view}");
    let list = &view["lists"][0];
    assert_eq!(list["name"], "Watchlist 1");
    assert_eq!(symbols(list).len(), 7, "the starter list");
    // Prices travel as exact decimal strings, never as floats.
    assert!(view["ticks"][0]["last_price"].is_string(), "{view}");
    let id = list["id"].as_i64().unwrap().to_string();

    // Search finds by prefix, ranked; add the first hit.
    let (status, hits) = app
        .call_form("instruments/search", &[("query", "ITC")])
        .await;
    assert_eq!(status, 200, "{hits}");
    let itc = hits
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["tradingsymbol"] == "ITC")
        .unwrap_or_else(|| panic!("ITC in {hits}"));
    let token = itc["token"].as_u64().unwrap().to_string();
    let (status, list) = app
        .call_form("watchlists/add", &[("id", &id), ("token", &token)])
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(symbols(&list).last().map(String::as_str), Some("ITC"));

    // Twice is refused with the reason, and nothing changes.
    let (status, error) = app
        .call_form("watchlists/add", &[("id", &id), ("token", &token)])
        .await;
    assert_eq!(status, 400, "{error}");
    assert!(
        error["detail"].as_str().unwrap().contains("already"),
        "{error}"
    );

    // Move it to the top, then remove it.
    let (status, list) = app
        .call_form(
            "watchlists/move",
            &[("id", &id), ("token", &token), ("to", "0")],
        )
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(symbols(&list)[0], "ITC");
    let (status, list) = app
        .call_form("watchlists/remove", &[("id", &id), ("token", &token)])
        .await;
    assert_eq!(status, 200, "{list}");
    assert!(!symbols(&list).contains(&"ITC".to_owned()));

    // An unknown instrument and an unknown list say so.
    let (status, error) = app
        .call_form("watchlists/add", &[("id", &id), ("token", "1")])
        .await;
    assert_eq!(status, 400, "{error}");
    assert!(
        error["detail"]
            .as_str()
            .unwrap()
            .contains("instruments list"),
        "{error}"
    );
    let (status, error) = app
        .call_form("watchlists/add", &[("id", "999999"), ("token", &token)])
        .await;
    assert_eq!(status, 404, "{error}");

    // A second list; names are unique; the last list cannot be deleted.
    let (status, second) = app
        .call_form("watchlists/create", &[("name", "  Banks  ")])
        .await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["name"], "Banks");
    let (status, error) = app
        .call_form("watchlists/create", &[("name", "banks")])
        .await;
    assert_eq!(status, 400, "{error}");
    let second_id = second["id"].as_i64().unwrap().to_string();
    let (status, _) = app
        .call_form("watchlists/delete", &[("id", &second_id)])
        .await;
    assert_eq!(status, 200);
    let (status, error) = app.call_form("watchlists/delete", &[("id", &id)]).await;
    assert_eq!(status, 400, "{error}");
    app.stop().await;
}

#[tokio::test]
async fn the_instrument_server_function_returns_backfilled_candles() {
    let app = spawn_app().await;
    let (status, view) = app
        .call_form("instruments/chart", &[("token", "738561")])
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["instrument"]["tradingsymbol"], "RELIANCE");
    assert_eq!(view["interval_ms"], 60_000);
    assert!(view["history_error"].is_null(), "{}", view["history_error"]);
    let candles = view["candles"].as_array().unwrap();
    assert!(
        candles.len() > 10,
        "history from the simulator: {}",
        candles.len()
    );
    assert!(candles[0]["open"].is_string());
    let starts: Vec<i64> = candles
        .iter()
        .map(|c| c["start_ms"].as_i64().unwrap())
        .collect();
    assert!(starts.windows(2).all(|w| w[0] < w[1] && w[0] % 60_000 == 0));
    let (status, _) = app.call_form("instruments/chart", &[("token", "1")]).await;
    assert_eq!(status, 404);
    app.stop().await;
}

#[tokio::test]
async fn the_dashboard_renders_prices_and_mode_on_the_server() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("data-testid=\"mode-badge\""),
        "mode badge rendered"
    );
    assert!(html.contains(">DEMO<"));
    assert_eq!(html.matches("data-testid=\"quote-row\"").count(), 7);
    assert!(html.contains("NIFTY BANK"));
    // Indian grouping of a five-digit index level: "52,xxx.xx" style.
    assert!(
        regex_like_indian_price(&html),
        "an LTP cell in Indian grouping"
    );
    assert!(html.contains("rel=\"manifest\""));
    app.stop().await;
}

fn regex_like_indian_price(html: &str) -> bool {
    html.split("data-testid=\"ltp\"").skip(1).any(|cell| {
        let text = cell.split('>').nth(1).unwrap_or("");
        let text = text.split('<').next().unwrap_or("");
        let (int, frac) = text.split_once('.').unwrap_or(("", ""));
        int.len() >= 6 && int.as_bytes()[int.len() - 4] == b',' && frac.len() == 2
    })
}

#[tokio::test]
async fn every_navigation_page_renders() {
    let app = spawn_app().await;
    // Pages still to come say so; the built ones render their empty state.
    for (path, heading, text) in [
        ("/levels", "Levels", "No levels yet"),
        ("/alerts", "Alerts", "No alerts yet"),
        ("/orders", "Orders", "No orders yet"),
        ("/trades", "Trades", "No open positions"),
        ("/settings", "Settings", "Not connected."),
        ("/users", "Users", "Trader: trade, levels, alerts"),
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains(&format!("<h1>{heading}</h1>")), "{path}");
        assert!(html.contains(text), "{path} shows '{text}'");
    }
    app.stop().await;
}

#[tokio::test]
async fn unknown_routes_get_a_404_page() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let html = response.text().await.unwrap();
    assert!(html.contains("Page not found"));
    assert!(html.contains("href=\"/\""), "offers a way back");
    app.stop().await;
}

#[tokio::test]
async fn a_taken_port_is_a_clear_error_not_a_panic() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let mut settings = crate::helpers::test_settings(dir.path(), &[]);
    settings.server.addr = format!("127.0.0.1:{port}").parse().unwrap();
    let err = match osp_server::startup::Application::build(&settings).await {
        Ok(_) => panic!("binding a taken port must fail"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("already in use"), "{err}");
    assert!(err.contains(&port.to_string()), "{err}");
}

#[tokio::test]
async fn unknown_api_paths_answer_with_the_wire_error_as_json() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/no_such_function"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["kind"], "not_found");
    assert_eq!(
        body["message"],
        "the API endpoint POST /api/no_such_function was not found"
    );
    // Real server functions still answer.
    let ok = app
        .client
        .post(app.url("/api/status"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    app.stop().await;
}

/// Quick adds from one page (or two tabs) arrive at once: every one lands, none is lost to
/// another's write.
#[tokio::test]
async fn concurrent_adds_to_one_watchlist_all_land() {
    let app = crate::helpers::spawn_app().await;
    let (status, list) = app
        .call_form("watchlists/create", &[("name", "Race")])
        .await;
    assert_eq!(status, 200, "{list}");
    let id = list["id"].as_i64().unwrap().to_string();
    let tokens: Vec<String> = osp_core::services::prices::demo_instruments()
        .into_iter()
        .take(8)
        .map(|i| i.token.0.to_string())
        .collect();
    assert!(tokens.len() >= 6, "enough instruments to race");
    let adds = tokens.iter().map(|token| {
        let id = id.clone();
        let app = &app;
        async move {
            app.call_form("watchlists/add", &[("id", &id), ("token", token)])
                .await
        }
    });
    for (status, body) in futures::future::join_all(adds).await {
        assert_eq!(status, 200, "{body}");
    }
    let (_, lists) = app.call_form("watchlists", &[]).await;
    let race = lists["lists"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "Race")
        .unwrap();
    let mut stored: Vec<String> = race["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["token"].to_string())
        .collect();
    stored.sort();
    let mut wanted = tokens.clone();
    wanted.sort();
    assert_eq!(stored, wanted, "every add landed");
    app.stop().await;
}
