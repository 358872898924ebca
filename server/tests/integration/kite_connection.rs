//! The Kite connection against the real server and the simulator's login page: Connect Kite
//! round trip with its single-use state, refusals of forged or failed callbacks, the access
//! token and API secret stored only sealed, disconnect invalidating the token at Kite,
//! postbacks taken only with the right checksum, and production refusing to start without a
//! secrets key.

use secrecy::ExposeSecret;

use crate::helpers::{TestApp, database_bytes, spawn_app};

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// Connect Kite as the admin, through the simulator's one-button login page; the callback's
/// URL (to replay it).
async fn connect(app: &TestApp) -> String {
    let to_kite = app
        .client
        .get(app.url("/kite/connect"))
        .send()
        .await
        .unwrap();
    assert_eq!(to_kite.status(), 303);
    let login = location(&to_kite);
    assert!(login.contains("/connect/login?"), "{login}");
    assert!(login.contains("redirect_params=state%3D"), "{login}");
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let callback = crate::helpers::approve_kite_login(&browser, &login).await;
    assert!(
        callback.starts_with(&format!("http://{}/kite/callback?", app.addr)),
        "{callback}"
    );
    assert!(
        callback.contains("status=success") && callback.contains("state="),
        "{callback}"
    );
    callback
}

async fn kite_status(app: &TestApp) -> serde_json::Value {
    let (status, body) = app.call_form("kite/status", &[]).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Kite's redirect arrives without the session cookie (it is cross-site): a plain client.
async fn follow_callback(url: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 303);
    location(&response)
}

#[tokio::test]
async fn connect_kite_logs_in_through_kites_page_and_keeps_the_token_only_sealed() {
    let app = spawn_app().await;
    assert!(kite_status(&app).await["connected"].is_null());
    let callback = connect(&app).await;
    let settings = follow_callback(&callback).await;
    assert!(
        settings.starts_with("/settings?kite=connected"),
        "{settings}"
    );
    let status = kite_status(&app).await;
    let user = status["connected"]["user_id"]
        .as_str()
        .expect("connected")
        .to_owned();
    assert!(!user.is_empty(), "{status}");
    assert_eq!(status["simulated"], true);

    // The same callback again (a replayed or leaked URL): refused, the state was used.
    let replay = follow_callback(&callback).await;
    assert!(replay.contains("kite_error="), "{replay}");
    assert!(replay.contains("not+started+here"), "{replay}");

    // The stored token is sealed, opens with the data directory's key, and is nowhere in the
    // database file in plain text.
    let data = app.stop_keeping_data().await;
    let key = std::fs::read_to_string(data.path().join("secrets.key")).unwrap();
    let secrets = osp_server::secrets::SecretBox::load(
        Some(&secrecy::SecretString::from(key)),
        data.path(),
        false,
    )
    .unwrap();
    let text = database_bytes(data.path());
    let db_file = std::fs::read_dir(data.path())
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().ends_with(".db"))
        .expect("a database file")
        .path();
    let db = osp_server::database::Database::connect(&osp_server::config::DatabaseSettings {
        url: secrecy::SecretString::from(format!("sqlite://{}", db_file.display())),
        max_connections: 1,
    })
    .await
    .unwrap();
    let sealed = db
        .kite_credentials()
        .await
        .unwrap()
        .access_token_sealed
        .expect("a stored token");
    db.close().await;
    assert!(sealed.starts_with("v1:"), "{sealed}");
    let token = secrets
        .open(&sealed)
        .expect("the sealed token opens with the key");
    assert!(token.expose_secret().len() >= 16);
    assert!(
        !text.contains(token.expose_secret()),
        "the token in plain text in the database"
    );
    let app = crate::helpers::spawn_app_in(data, &[]).await;
    // After the restart the row is still there (the simulator is new: its tokens are not).
    assert_eq!(kite_status(&app).await["connected"]["user_id"], user);
    app.stop().await;
}

#[tokio::test]
async fn forged_and_failed_callbacks_are_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let forged = follow_callback(
        &app.url("/kite/callback?status=success&request_token=abc&action=login&state=made-up"),
    )
    .await;
    assert!(forged.contains("kite_error="), "{forged}");
    let none = follow_callback(&app.url("/kite/callback?status=success&request_token=abc")).await;
    assert!(none.contains("kite_error="), "{none}");
    // A real state with a failed login: refused with Kite's word for it.
    let callback = connect(&app).await;
    let state = callback
        .split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let cancelled = follow_callback(&app.url(&format!(
        "/kite/callback?status=cancelled&action=login&state={state}"
    )))
    .await;
    assert!(
        cancelled.contains("kite_error=") && cancelled.contains("cancelled"),
        "{cancelled}"
    );
    assert!(kite_status(&app).await["connected"].is_null());
    app.stop().await;
}

/// The access token the running app stored, unsealed with its data directory's key.
async fn stored_token(app: &TestApp) -> secrecy::SecretString {
    let dir = app._data_dir.path();
    let key = std::fs::read_to_string(dir.join("secrets.key")).unwrap();
    let secrets =
        osp_server::secrets::SecretBox::load(Some(&secrecy::SecretString::from(key)), dir, false)
            .unwrap();
    let db_file = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().ends_with(".db"))
        .unwrap()
        .path();
    let db = osp_server::database::Database::connect(&osp_server::config::DatabaseSettings {
        url: secrecy::SecretString::from(format!("sqlite://{}", db_file.display())),
        max_connections: 1,
    })
    .await
    .unwrap();
    let sealed = db.kite_credentials().await.unwrap().access_token_sealed;
    db.close().await;
    secrets.open(&sealed.expect("a stored token")).unwrap()
}

#[tokio::test]
async fn disconnect_invalidates_the_token_at_kite() {
    let app = spawn_app().await;
    let callback = connect(&app).await;
    follow_callback(&callback).await;
    assert!(!kite_status(&app).await["connected"].is_null());
    let token = stored_token(&app).await;
    let at_kite = || {
        app.sim
            .state
            .auth
            .check(osp_server::kite::demo::DEMO_API_KEY, token.expose_secret())
    };
    assert!(at_kite().is_ok(), "the simulator honours the login's token");
    let (status, body) = app.call_form("kite/disconnect", &[]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["connected"].is_null(), "{body}");
    assert!(at_kite().is_err(), "the token is invalidated at Kite");
    // A second disconnect has nothing left to end and still answers.
    let (status, again) = app.call_form("kite/disconnect", &[]).await;
    assert_eq!(status, 200, "{again}");
    app.stop().await;
}

#[tokio::test]
async fn the_kite_app_is_saved_with_its_secret_sealed_and_bad_values_refused() {
    const SECRET: &str = "s3cr3tKiteAppValue42";
    let app = spawn_app().await;
    let (status, body) = app
        .call_form(
            "kite/app",
            &[("api_key", "no"), ("api_secret", "has spaces in it")],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        crate::helpers::problem_fields(&body),
        ["api_key", "api_secret"]
    );
    let (status, body) = app
        .call_form(
            "kite/app",
            &[("api_key", "kiteapp123"), ("api_secret", SECRET)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["api_key"], "kiteapp123");
    assert_eq!(body["has_secret"], true);
    assert!(
        !body.to_string().contains(SECRET),
        "the secret is never sent back"
    );
    let data = app.stop_keeping_data().await;
    let text = database_bytes(data.path());
    assert!(text.contains("kiteapp123"));
    assert!(
        !text.contains(SECRET),
        "the API secret in plain text in the database"
    );
}

#[tokio::test]
async fn postbacks_are_taken_only_with_kites_checksum() {
    let app = spawn_app().await;
    let dir = std::env::var("OSP_KITE_FIXTURES").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../adapters/kite-connect/tests/fixtures"
        )
        .to_owned()
    });
    let fixture =
        std::fs::read_to_string(std::path::Path::new(&dir).join("postback.json")).unwrap();
    let mut postback: serde_json::Value = serde_json::from_str(&fixture).unwrap();
    let sum = osp_server::kite::connection::postback_checksum(
        postback["order_id"].as_str().unwrap(),
        postback["order_timestamp"].as_str().unwrap(),
        &app.api_secret,
    );
    // Kite's servers: no Origin, no session.
    let kite = reqwest::Client::new();
    let send = |body: String| {
        kite.post(app.url("/kite/postback"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    // Zerodha's own example, with our checksum: its timestamp is years old (a replay).
    postback["checksum"] = serde_json::Value::String(sum.clone());
    let stale = send(postback.to_string()).await.unwrap();
    assert_eq!(stale.status(), 400);
    assert!(stale.text().await.unwrap().contains("stale"));
    // Zerodha's own example, checksummed with a secret that is not ours.
    assert_eq!(send(fixture.clone()).await.unwrap().status(), 401);

    // A real order at Kite, resting (a limit far below the market).
    let ltp = app.ltp("NSE:INFY").await;
    let mut params = kite_connect::http::models::OrderParams::new(
        "NSE",
        "INFY",
        kite_connect::common::enums::TransactionType::Buy,
        kite_connect::common::enums::OrderType::Limit,
        kite_connect::common::enums::Product::Mis,
        2,
    );
    params.price = Some(crate::helpers::moved(ltp, -2_000));
    let placed = app.kite.place_order(&params).await.unwrap();
    let at_kite = app.kite.order_history(&placed.order_id).await.unwrap();
    let timestamp = at_kite.last().unwrap().order_timestamp.clone().unwrap();
    // Its postback, correctly checksummed, but claiming a fill at a made-up price: the
    // checksum covers only the id and the timestamp, so what is taken is Kite's own record.
    postback["order_id"] = serde_json::Value::String(placed.order_id.clone());
    postback["order_timestamp"] = serde_json::Value::String(timestamp.clone());
    postback["status"] = serde_json::Value::String("COMPLETE".into());
    postback["filled_quantity"] = serde_json::json!(2);
    postback["average_price"] = serde_json::json!(1.0);
    postback["checksum"] =
        serde_json::Value::String(osp_server::kite::connection::postback_checksum(
            &placed.order_id,
            &timestamp,
            &app.api_secret,
        ));
    let taken = send(postback.to_string()).await.unwrap();
    assert_eq!(taken.status(), 200);
    let text = taken.text().await.unwrap();
    assert!(text.contains("is Open at Kite"), "{text}");
    // The same postback again is a replay.
    assert_eq!(send(postback.to_string()).await.unwrap().status(), 409);
    postback["order_id"] = serde_json::Value::String("220303000308933".into());
    assert_eq!(
        send(postback.to_string()).await.unwrap().status(),
        401,
        "a changed order id"
    );
    assert_eq!(send("not json".to_owned()).await.unwrap().status(), 400);
    app.stop().await;
}

#[tokio::test]
async fn production_refuses_to_start_without_a_secrets_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = std::collections::HashMap::new();
    env.insert("OSP__METRICS__ADDR".to_owned(), "off".to_owned());
    env.insert("OSP__SERVER__HTTPS".to_owned(), "true".to_owned());
    let overrides = osp_server::config::Overrides {
        profile: Some("production".into()),
        addr: Some("127.0.0.1:0".into()),
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let settings = osp_server::config::load_from(&overrides, &env).unwrap();
    let error = match osp_server::startup::Application::build(&settings).await {
        Ok(_) => panic!("production started without secrets.key"),
        Err(e) => format!("{e:#}"),
    };
    assert!(error.contains("secrets.key is not set"), "{error}");
    assert!(error.contains("openssl rand -base64 32"), "{error}");
}

fn level_draft(token: u32, level: osp_core::model::Price) -> serde_json::Value {
    serde_json::json!({
        "token": token, "price": level.to_string(), "trigger": "up", "on_up": "buy",
        "on_down": null, "quantity": "1", "product": "intraday", "limit_offset": "",
        "target": "", "stop_loss": "", "trailing_stop": "", "confirmation": "cross",
        "confirmation_value": "", "rearm": "once", "rearm_distance": "", "window_from": "",
        "window_to": "", "enabled": true, "note": "",
    })
}

/// The trading worker's state as the Workers card reads it.
async fn trading_worker(app: &TestApp) -> serde_json::Value {
    let (status, workers) = app.call_form("workers", &[]).await;
    assert_eq!(status, 200, "{workers}");
    workers
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "trading")
        .cloned()
        .expect("a trading worker")
}

/// Kite ends the session (the daily expiry, a logout elsewhere): the first order finds out and
/// is refused with Kite's reason; from then on nothing is sent — orders are refused before the
/// broker, a crossing level stays armed —, the status says so for the banner, and connecting
/// Kite again resumes trading.
#[tokio::test]
async fn an_ended_kite_session_stops_every_order_until_kite_is_connected_again() {
    const INFY: u32 = 408_065;
    let app = spawn_app().await;
    // (Read before the session ends: the test's own Kite client shares its token.)
    let ltp = app.ltp("NSE:INFY").await;
    app.sim
        .state
        .auth
        .invalidate(
            osp_server::kite::demo::DEMO_API_KEY,
            app.access_token.expose_secret(),
        )
        .unwrap();
    let ticket = serde_json::json!({ "ticket": {
        "token": INFY, "side": "buy", "quantity": "1", "product": "intraday",
        "kind": "market", "price": "", "trigger": "",
    }});
    let (status, first) = app.call_json("orders/place", ticket.clone()).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["state"], "rejected", "{first}");
    let (_, app_status) = app.call_form("status", &[]).await;
    let expired = &app_status["session_expired"];
    assert!(expired["reason"].as_str().is_some(), "{app_status}");
    // The worker that sends orders shows as paused, with why; the paper matcher would not.
    assert_eq!(trading_worker(&app).await["phase"], "paused");
    assert!(
        trading_worker(&app).await["note"]
            .as_str()
            .unwrap()
            .contains("connect Kite again")
    );

    let (_, second) = app.call_json("orders/place", ticket.clone()).await;
    assert_eq!(second["state"], "rejected", "{second}");
    assert!(
        second["reason"]
            .as_str()
            .unwrap()
            .contains("the Kite session has ended"),
        "{second}"
    );
    // A level that crosses now is not traded and stays armed.
    let level = crate::helpers::moved(ltp, 300);
    let (status, created) = app
        .call_json(
            "levels/create",
            serde_json::json!({ "draft": level_draft(INFY, level) }),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let id = created["stored"]["level"]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    app.watching(INFY).await;
    app.trade_at(INFY, crate::helpers::moved(level, 50)).await;
    let log = crate::helpers::eventually("the level's skip", async || {
        let (_, log) = app
            .call_form("levels/log", &[("level", &id), ("limit", "20")])
            .await;
        log.to_string()
            .contains("Kite session has ended")
            .then_some(log)
    })
    .await;
    assert!(!log.to_string().contains("order placed"), "{log}");
    assert_eq!(app.orders().await.len(), 2, "no order for the level");

    // Connected again: the banner goes and orders go out.
    follow_callback(&connect(&app).await).await;
    let (_, app_status) = app.call_form("status", &[]).await;
    assert!(app_status["session_expired"].is_null(), "{app_status}");
    let worker = trading_worker(&app).await;
    assert_eq!(worker["phase"], "running", "{worker}");
    assert!(worker["note"].is_null(), "{worker}");
    let (_, third) = app.call_json("orders/place", ticket).await;
    assert_ne!(third["state"], "rejected", "{third}");
    app.stop().await;
}
