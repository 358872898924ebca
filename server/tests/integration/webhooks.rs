//! The outgoing webhook against a receiver on loopback: a firing after the webhook is saved
//! reaches it as JSON whose signature the receiver checks with the secret shown at saving; a
//! receiver that fails is tried again with back-off until it takes it, and the delivery log
//! says how many attempts it took; a test delivery goes the same way; a bad address is refused.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{TestApp, eventually, moved, problem_fields, spawn_app, spawn_app_with};

const INFY: u32 = 408_065;

#[derive(Default)]
struct Receiver {
    /// Answers 500 to this many requests first.
    fail_first: AtomicU32,
    taken: Mutex<Vec<(HeaderMap, String)>>,
    tries: AtomicU32,
}

async fn receive(receiver: Arc<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    receiver.tries.fetch_add(1, Ordering::SeqCst);
    let left = receiver.fail_first.load(Ordering::SeqCst);
    if left > 0 {
        receiver.fail_first.store(left - 1, Ordering::SeqCst);
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    receiver
        .taken
        .lock()
        .unwrap()
        .push((headers, String::from_utf8_lossy(&body).into_owned()));
    StatusCode::NO_CONTENT
}

/// A receiver on a free loopback port; its URL. It stops with the test's runtime.
async fn start_receiver(receiver: Arc<Receiver>) -> String {
    start_receiver_on(receiver, "127.0.0.1:0").await
}

/// A receiver listening on `bind`; its URL (by address).
async fn start_receiver_on(receiver: Arc<Receiver>, bind: &str) -> String {
    let listener = tokio::net::TcpListener::bind(bind).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers, body| receive(receiver.clone(), headers, body)),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/hook")
}

/// The app with the test's receivers (on loopback) named as a private host it may send to.
async fn receiving_app(extra: &[(&str, &str)]) -> TestApp {
    let mut settings = vec![("OSP__SERVER__WEBHOOK_PRIVATE_HOSTS", "127.0.0.1")];
    settings.extend_from_slice(extra);
    spawn_app_with(&settings).await
}

/// What a receiver checks: HMAC-SHA256 of `timestamp.body` under the secret.
fn signed_by(secret: &str, headers: &HeaderMap, body: &str) -> bool {
    let timestamp = headers["x-osp-timestamp"].to_str().unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    headers["x-osp-signature"].to_str().unwrap() == expected
}

#[tokio::test]
async fn firings_reach_the_receiver_signed_and_are_retried_until_taken() {
    let app = receiving_app(&[]).await;
    let receiver = Arc::new(Receiver::default());
    let url = start_receiver(receiver.clone()).await;

    // A firing before the webhook exists is not sent later.
    let ltp = app.ltp("NSE:INFY").await;
    let always = |note: &str| {
        json!({ "draft": {
            "token": INFY, "metric": "last_price", "operator": ">=",
            "value": moved(ltp, -5_000).to_string(), "against": 0, "repeat": "once",
            "cooldown": "", "window_from": "", "window_to": "", "note": note, "enabled": true,
        }})
    };
    let (_, early) = app.call_json("alerts/create", always("before")).await;
    let early = early["id"].as_i64().unwrap();
    eventually("the early firing", async || {
        let (_, events) = app
            .call_form(
                "alerts/history",
                &[("alert", &early.to_string()), ("limit", "5")],
            )
            .await;
        (!events.as_array()?.is_empty()).then_some(())
    })
    .await;

    // A bad address is refused and nothing is saved.
    let (status, refused) = app
        .call_form("webhook/save", &[("url", "ftp://example.com/in")])
        .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(problem_fields(&refused), ["url"]);
    assert!(app.call_form("webhook", &[]).await.1["url"].is_null());

    let (status, saved) = app.call_form("webhook/save", &[("url", &url)]).await;
    assert_eq!(status, 200, "{saved}");
    let secret = saved["secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 32);
    // The secret is shown this once: the view never carries it.
    let (_, view) = app.call_form("webhook", &[]).await;
    assert_eq!(view["url"], url.as_str());
    assert!(!view.to_string().contains(&secret), "{view}");

    // The receiver fails twice, then takes it.
    receiver.fail_first.store(2, Ordering::SeqCst);
    let (_, alert) = app.call_json("alerts/create", always("after")).await;
    let alert = alert["id"].as_i64().unwrap();
    let (headers, body) = eventually("the delivery", async || {
        receiver.taken.lock().unwrap().first().cloned()
    })
    .await;
    assert_eq!(
        receiver.tries.load(Ordering::SeqCst),
        3,
        "two refusals, then taken"
    );
    assert!(
        signed_by(&secret, &headers, &body),
        "the signature checks out"
    );
    assert!(!signed_by("another secret", &headers, &body));
    assert_eq!(headers["x-osp-event"], "alert.fired");
    let payload: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(payload["type"], "alert.fired");
    assert_eq!(payload["alert_id"], alert);
    assert!(
        payload["text"].as_str().unwrap().contains("after"),
        "{payload}"
    );
    // Only the firing after saving was sent.
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    assert_eq!(receiver.taken.lock().unwrap().len(), 1);

    let (_, view) = app.call_form("webhook", &[]).await;
    let delivery = &view["deliveries"][0];
    assert_eq!(delivery["state"], "delivered", "{view}");
    assert_eq!(delivery["attempts"], 3, "{view}");
    assert_eq!(delivery["last_status"], 204, "{view}");

    // A test delivery goes the same way.
    let (status, queued) = app.call_form("webhook/test", &[]).await;
    assert_eq!(status, 200, "{queued}");
    let (headers, body) = eventually("the test delivery", async || {
        receiver.taken.lock().unwrap().get(1).cloned()
    })
    .await;
    assert_eq!(headers["x-osp-event"], "test");
    assert!(signed_by(&secret, &headers, &body));

    // Removed: nothing more is sent, and a test says what to do.
    let (status, _) = app.call_form("webhook/remove", &[]).await;
    assert_eq!(status, 200);
    let (status, refused) = app.call_form("webhook/test", &[]).await;
    assert_eq!(status, 400, "{refused}");
    app.stop().await;
}

#[tokio::test]
async fn a_firing_of_an_alert_kept_at_kite_is_relayed_once_and_signed() {
    let app = receiving_app(&[("OSP__WORKERS__KITE_ALERTS_SYNC_MS", "200")]).await;
    let receiver = Arc::new(Receiver::default());
    let url = start_receiver(receiver.clone()).await;
    let (_, saved) = app.call_form("webhook/save", &[("url", &url)]).await;
    let secret = saved["secret"].as_str().unwrap().to_owned();
    // True at once at Kite (the price is far below it), and then while the market stays.
    let ltp = app.ltp("NSE:INFY").await;
    let (status, created) = app
        .call_json(
            "kite-alerts/create",
            json!({ "draft": {
                "name": "relay me", "token": INFY, "operator": "<=",
                "value": moved(ltp, 5_000).to_string(), "kind": "simple",
                "order_token": null, "basket": [],
            }}),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let (headers, body) = eventually("the Kite firing's delivery", async || {
        receiver.taken.lock().unwrap().first().cloned()
    })
    .await;
    assert_eq!(headers["x-osp-event"], "kite_alert.fired");
    assert!(signed_by(&secret, &headers, &body));
    let payload: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(payload["kite_alert_id"], created["id"]);
    assert_eq!(payload["count"], 1);
    assert!(
        payload["text"].as_str().unwrap().contains("relay me"),
        "{payload}"
    );
    // Later syncs and passes send it no second time.
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    let taken = receiver.taken.lock().unwrap().len();
    assert_eq!(taken, 1, "one firing, one delivery");
}

#[tokio::test]
async fn a_broker_mismatch_is_posted_once_signed() {
    use kite_connect::common::enums::{OrderType, Product, TransactionType};
    use kite_connect::http::models::OrderParams;
    let app = receiving_app(&[]).await;
    let receiver = Arc::new(Receiver::default());
    let url = start_receiver(receiver.clone()).await;
    let (_, saved) = app.call_form("webhook/save", &[("url", &url)]).await;
    let secret = saved["secret"].as_str().unwrap().to_owned();
    // 3 TCS bought at Kite directly, as in Kite's own app.
    let outside = OrderParams::new(
        "NSE",
        "TCS",
        TransactionType::Buy,
        OrderType::Market,
        Product::Mis,
        3,
    );
    app.kite.place_order(&outside).await.unwrap();
    let (headers, body) = eventually("the mismatch's delivery", async || {
        receiver.taken.lock().unwrap().first().cloned()
    })
    .await;
    assert_eq!(headers["x-osp-event"], "broker.mismatch");
    assert!(signed_by(&secret, &headers, &body));
    let payload: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (
            payload["tradingsymbol"].clone(),
            payload["outside"].clone(),
            payload["product"].clone()
        ),
        (json!("TCS"), json!(3), json!("MIS")),
        "{payload}"
    );
    // The delivery log shows it, delivered.
    let (_, view) = app.call_form("webhook", &[]).await;
    let deliveries = view["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 1, "{view}");
    assert!(
        deliveries[0]["payload"]
            .as_str()
            .unwrap()
            .contains("broker.mismatch"),
        "{view}"
    );
}

/// A webhook never reaches inside a network unless the operator named the host: an address
/// written in the URL (loopback, private, a cloud's metadata service, and 127.0.0.1 in the
/// forms a URL parser reads as it) is refused at saving, and a name that resolves inside (here
/// the machine's own name, past the check of the written name, as a rebinding name would be)
/// finds nothing to connect to when it is sent.
#[tokio::test]
async fn a_webhook_never_reaches_inside_the_network_unless_the_host_is_named() {
    let app = spawn_app().await;
    for inside in [
        "http://169.254.169.254/latest/meta-data",
        "http://127.0.0.1:9/in",
        "http://[::1]:9/in",
        "http://10.0.0.7/in",
        "http://localhost:9/in",
        // 127.0.0.1 as a URL parser reads these.
        "http://2130706433:9/in",
        "http://0x7f.1:9/in",
        "http://127.1:9/in",
    ] {
        let (status, refused) = app.call_form("webhook/save", &[("url", inside)]).await;
        assert_eq!(status, 400, "{inside}: {refused}");
        assert_eq!(problem_fields(&refused), ["url"], "{inside}");
        assert!(
            refused.to_string().contains("server.webhook_private_hosts"),
            "{refused}"
        );
    }
    // This machine's own name: a name, so it passes the check of what is written, and it
    // resolves inside (as a rebinding name would once re-pointed).
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_owned();
    let addresses: Vec<std::net::SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
        .await
        .unwrap_or_else(|e| panic!("this machine's name {name} does not resolve: {e}"))
        .collect();
    assert!(
        addresses
            .iter()
            .all(|a| !osp_core::services::webhook_policy::is_public(a.ip())),
        "this test needs the machine's name ({name}) to resolve inside: {addresses:?}"
    );
    let receiver = Arc::new(Receiver::default());
    let url = start_receiver_on(receiver.clone(), "0.0.0.0:0").await;
    let port = url.rsplit(':').next().unwrap().trim_end_matches("/hook");
    let by_name = format!("http://{name}:{port}/hook");
    let (status, saved) = app.call_form("webhook/save", &[("url", &by_name)]).await;
    assert_eq!(status, 200, "{saved}");
    let (status, sent) = app.call_form("webhook/test", &[]).await;
    assert_eq!(status, 200, "{sent}");
    let failed = eventually("the test delivery's failed attempt", async || {
        let (_, view) = app.call_form("webhook", &[]).await;
        let delivery = view["deliveries"].as_array()?.first()?.clone();
        (delivery["attempts"].as_u64()? >= 1).then_some(delivery)
    })
    .await;
    assert!(failed["last_error"].is_string(), "{failed}");
    assert_eq!(
        receiver.tries.load(Ordering::SeqCst),
        0,
        "nothing reached it"
    );
    app.stop().await;
}
