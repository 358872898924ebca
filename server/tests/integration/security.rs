//! Security probes through the real server, as an outsider, a viewer, a trader and an admin
//! would make them (issue 21). Each fails on the weakness it names.

use crate::helpers::*;

/// Pages a signed-in user can open, each rendered on the server (an instrument's page, and the
/// not-found page, among them).
const PAGES: [&str; 10] = [
    "/",
    "/instrument/738561",
    "/levels",
    "/alerts",
    "/orders",
    "/trades",
    "/account",
    "/settings",
    "/users",
    "/no-such-page",
];

/// What only an admin may read: the outgoing webhook's address (a Slack-style address is a
/// credential) and the other users' names.
const WEBHOOK: &str = "https://hooks.example.com/services/T0SECRET/B0SECRET/webhook-marker";
const QUIET_USER: &str = "quietadmin7";

async fn page(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let response = client
        .get(app.url(path))
        .send()
        .await
        .expect("page answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("page text"))
}

/// Every page, rendered on the server as each role: the HTML (markup and the data carried for
/// hydration) holds nothing above that role. Before the server functions checked the role
/// themselves, a viewer's `/settings` carried the webhook's address.
#[tokio::test]
async fn no_page_rendered_for_a_role_carries_what_only_a_higher_role_may_read() {
    let app = spawn_app().await;
    let (status, body) = app.call_form("webhook/save", &[("url", WEBHOOK)]).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .call_form(
            "users/create",
            &[
                ("username", QUIET_USER),
                ("password", "a long enough passphrase"),
                ("role_code", "admin"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let viewer = app.user_client("vera", "viewer").await;
    let trader = app.user_client("tariq", "trader").await;
    let (anonymous, _) = app.new_client();

    let mut leaks = Vec::new();
    for path in PAGES {
        for (who, client) in [("viewer", &viewer), ("trader", &trader)] {
            let (status, html) = page(client, &app, path).await;
            assert!(
                status == 200 || (path == "/no-such-page" && status == 404),
                "{who} {path}: {status}"
            );
            for marker in [WEBHOOK, "T0SECRET", QUIET_USER] {
                if html.contains(marker) {
                    leaks.push(format!("{who} {path}: {marker}"));
                }
            }
        }
        // An outsider is sent to sign in, with nothing of the page.
        let (status, html) = page(&anonymous, &app, path).await;
        assert_eq!(status, 303, "anonymous {path}");
        assert!(!html.contains("T0SECRET") && !html.contains(QUIET_USER));
    }
    assert!(leaks.is_empty(), "pages carried admin-only data: {leaks:?}");
    // The admin's own settings do carry the address: the probe looks where it would be. (The
    // users list loads in the browser, not in the page.)
    let (_, settings) = page(&app.client, &app, "/settings").await;
    assert!(
        settings.contains("T0SECRET"),
        "the admin's settings show the webhook"
    );
    app.stop().await;
}

/// The viewer's refusal is the server function's own: called while a page renders, it still
/// answers 403, and the page itself is not turned into one.
#[tokio::test]
async fn a_server_function_refuses_by_role_over_http_as_well() {
    let app = spawn_app().await;
    let viewer = app.user_client("vera", "viewer").await;
    let response = viewer
        .post(app.url("/api/webhook"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 403);
    let (status, _) = page(&viewer, &app, "/settings").await;
    assert_eq!(status, 200);
    app.stop().await;
}

/// Requests with made-up methods and paths make no new metric series: a method outside HTTP's
/// own is counted as OTHER, a path by its route's pattern. Before, each made-up method was a
/// series of its own, kept for the life of the process.
#[tokio::test]
async fn made_up_methods_and_paths_do_not_grow_the_metrics() {
    let app = spawn_app().await;
    let (anonymous, _) = app.new_client();
    for n in 0..40 {
        let method = reqwest::Method::from_bytes(format!("PROBE{n}X").as_bytes()).unwrap();
        let response = anonymous
            .request(method, app.url(&format!("/health?{n}")))
            .send()
            .await
            .expect("answers");
        assert!(response.status().as_u16() < 500);
        let response = anonymous
            .get(app.url(&format!("/made/up/path/{n}")))
            .send()
            .await
            .expect("answers");
        assert!(response.status().as_u16() < 500);
    }
    let addr = app.metrics_addr.expect("metrics are served in tests");
    let text = app
        .client
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.contains("PROBE"), "a made-up method became a label");
    assert!(!text.contains("/made/up"), "a raw path became a label");
    assert!(
        text.lines()
            .any(|l| l.starts_with("osp_http_requests_total{") && l.contains("method=\"OTHER\"")),
        "made-up methods are counted as OTHER"
    );
    app.stop().await;
}

/// A session left open on someone's screen cannot be used to guess its user's password: the
/// password change and turning the second factor off draw on the same allowance per username
/// as signing in, and are slowed when it is used up (they were not counted at all before).
#[tokio::test]
async fn guessing_the_password_through_an_open_session_is_slowed_like_signing_in() {
    let app = spawn_app_with(&[
        ("OSP__AUTH__LOGIN_ATTEMPTS_PER_MINUTE", "1000"),
        ("OSP__AUTH__SIGN_IN_ATTEMPTS", "5"),
    ])
    .await;
    let session = app.user_client("tariq", "trader").await;
    let mut statuses = Vec::new();
    for n in 0..6 {
        let wrong = format!("a wrong guess number {n}");
        let response = session
            .post(app.url("/api/auth/password"))
            .form(&[
                ("current", wrong.as_str()),
                ("new", "a brand new passphrase"),
            ])
            .send()
            .await
            .expect("answers");
        statuses.push(response.status().as_u16());
    }
    // One attempt went to signing in; four wrong guesses; then slowed.
    assert_eq!(statuses[..4], [400, 400, 400, 400], "{statuses:?}");
    assert_eq!(statuses[4..], [429, 429], "{statuses:?}");
    let response = session
        .post(app.url("/api/auth/totp/disable"))
        .form(&[("password", "a long enough passphrase")])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 429, "the right password waits too");
    app.stop().await;
}

/// An outsider learns only what a load balancer needs: `/ready` is flags without the error
/// texts or addresses, a missing file under a public folder is a plain 404 (not the app's
/// page), and the sign-in page carries none of the app's status (the kill switch, the Kite
/// session).
#[tokio::test]
async fn an_outsider_gets_only_what_a_load_balancer_needs() {
    let app = spawn_app().await;
    let (anonymous, _) = app.new_client();
    let outside: serde_json::Value = anonymous
        .get(app.url("/ready"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(outside["ready"].is_boolean(), "{outside}");
    let text = outside.to_string();
    for private in ["detail", "backend", "address", "last_error", "phase"] {
        assert!(!text.contains(private), "{private} in {text}");
    }
    let inside: serde_json::Value = app
        .client
        .get(app.url("/ready"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(inside["database"]["backend"].is_string(), "{inside}");

    for missing in ["/pkg/no-such-file.js", "/icons/no-such-icon.png"] {
        let response = anonymous.get(app.url(missing)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{missing}");
        let body = response.text().await.unwrap();
        assert_eq!(body, "not found", "{missing}: the app's page rendered");
    }
    let (status, login) = page(&anonymous, &app, "/login").await;
    assert_eq!(status, 200);
    for private in [
        "\"halted\"",
        "session_expired",
        "mismatches",
        "database_backend",
    ] {
        assert!(
            !login.contains(private),
            "the sign-in page carries {private}"
        );
    }
    app.stop().await;
}

/// DNS rebinding: a page on an attacker's name that later points at this machine sends its
/// requests here as same-origin, with the attacker's name as `Host`. Such a request is refused
/// (421) before the first-run page or any server function; the server's addresses,
/// `localhost` and the names in `server.allowed_origins` are answered, and the probes answer
/// any name.
#[tokio::test]
async fn a_request_for_a_name_the_server_does_not_answer_to_is_refused() {
    let app = spawn_app_with(&[("OSP__SERVER__ALLOWED_ORIGINS", "https://trade.example.in")]).await;
    let port = app.addr.port();
    let (anonymous, _) = app.new_client();
    let with_host = |method: reqwest::Method, path: &str, host: &str| {
        anonymous
            .request(method, app.url(path))
            .header(reqwest::header::HOST, host)
            .header(reqwest::header::ORIGIN, format!("http://{host}"))
            .form(&[
                ("username", "intruder"),
                ("password", "a long enough passphrase"),
            ])
            .send()
    };
    let rebound = format!("rebind.attacker.example:{port}");
    for (method, path) in [
        (reqwest::Method::POST, "/api/auth/setup"),
        (reqwest::Method::POST, "/api/auth/login"),
        (reqwest::Method::GET, "/login"),
        (reqwest::Method::GET, "/setup"),
    ] {
        let response = with_host(method.clone(), path, &rebound).await.unwrap();
        assert_eq!(response.status(), 421, "{method} {path}");
        let text = response.text().await.unwrap();
        assert!(text.contains("server.allowed_origins"), "{text}");
    }
    for host in [format!("localhost:{port}"), "trade.example.in".to_owned()] {
        let response = with_host(reqwest::Method::GET, "/login", &host)
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{host}");
    }
    let probe = with_host(reqwest::Method::GET, "/health", &rebound)
        .await
        .unwrap();
    assert_eq!(probe.status(), 200);
    app.stop().await;
}

/// Server functions that end the caller's session or change the installation whatever the
/// body says (they take no input): left out of the malformed-body sweep.
const NO_INPUT_AND_DESTRUCTIVE: [&str; 6] = [
    "auth/logout",
    "auth/logout-everywhere",
    "kite/disconnect",
    "workers/restart",
    "webhook/remove",
    "paper/reset",
];

/// Every server function, as the admin (past every role check), fed malformed bodies: wrong
/// types, missing and unknown fields, a huge string, deep nesting, bytes that are not text,
/// a body over the size limit. Each answers below 500 with a JSON reason — a client's mistake
/// is never a server error, and nothing panics (the server answers afterwards).
#[tokio::test]
async fn every_server_function_answers_malformed_input_with_a_4xx_never_a_500() {
    let app = spawn_app().await;
    let deep = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
    let huge = "x".repeat(200_000);
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        (
            "wrong types",
            "application/json",
            br#"{"draft": 12345, "id": "seven", "tokens": {"a": 1}}"#.to_vec(),
        ),
        (
            "unknown fields",
            "application/x-www-form-urlencoded",
            b"zzz=1&__proto__=x".to_vec(),
        ),
        (
            "a huge string",
            "application/x-www-form-urlencoded",
            format!("id={huge}&username={huge}&draft={huge}").into_bytes(),
        ),
        ("deep nesting", "application/json", deep.into_bytes()),
        (
            "not text",
            "application/json",
            vec![0xff, 0xfe, 0x00, 0x80, 0x7b],
        ),
        (
            "over the limit",
            "application/json",
            vec![b' '; 3 * 1024 * 1024],
        ),
    ];
    let mut wrong = Vec::new();
    for (endpoint, _) in app::api::access::SERVER_FUNCTIONS {
        if NO_INPUT_AND_DESTRUCTIVE.contains(endpoint) {
            continue;
        }
        for (case, content_type, body) in &cases {
            let response = app
                .client
                .post(app.url(&format!("/api/{endpoint}")))
                .header(reqwest::header::CONTENT_TYPE, *content_type)
                .body(body.clone())
                .send()
                .await
                .expect("the server answers");
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            if status >= 500 {
                wrong.push(format!(
                    "{endpoint} ({case}): {status} {}",
                    &text[..text.len().min(200)]
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "server errors for a client's mistake:\n{}",
        wrong.join("\n")
    );
    assert_eq!(app.health().await.0, 200, "still serving");
    app.stop().await;
}

/// A viewer cannot spend the account's Kite rate budget: reads from Kite (the alert sync, the
/// chart's history) have a budget per user — ten at once, then thirty a minute — and another
/// user's, and everything that is not a read from Kite, are untouched by it.
#[tokio::test]
async fn one_user_cannot_spend_the_accounts_kite_budget_on_reads() {
    let app = spawn_app().await;
    let viewer = app.user_client("vera", "viewer").await;
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let response = viewer
            .post(app.url("/api/kite-alerts/sync"))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            let text = response.text().await.unwrap();
            assert!(text.contains("limited to 30 a minute per user"), "{text}");
        }
    }
    assert_eq!(statuses[..10], [200; 10], "{statuses:?}");
    assert_eq!(statuses[10..], [429, 429], "{statuses:?}");
    // The chart's history is from the same budget; reads that do not go to Kite are not.
    let chart = viewer
        .post(app.url("/api/instruments/chart"))
        .form(&[("token", "738561")])
        .send()
        .await
        .unwrap();
    assert_eq!(chart.status(), 429);
    let orders = viewer.post(app.url("/api/orders")).send().await.unwrap();
    assert_eq!(orders.status(), 200);
    // The admin's own budget is whole.
    let (status, body) = app.call_form("kite-alerts/sync", &[]).await;
    assert_eq!(status, 200, "{body}");
    app.stop().await;
}
