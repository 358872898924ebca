//! The browser price stream against the real server and the simulator: each client receives
//! exactly what it follows, conflated and paced; a stalled client delays nobody; what nobody
//! follows is unsubscribed.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use app::live::{ClientMessage, ServerMessage};
use futures::{SinkExt, StreamExt};
use osp_core::model::{InstrumentToken, Tick};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const NIFTY: u32 = 256_265;
const RELIANCE: u32 = 738_561;
const INFY: u32 = 408_065;
const SBIN: u32 = 779_521;
const TCS: u32 = 2_953_217;

async fn connect(app: &TestApp) -> Ws {
    tokio_tungstenite::connect_async(app.ws_request("/ws/prices"))
        .await
        .expect("websocket connects")
        .0
}

async fn follow(ws: &mut Ws, tokens: &[u32]) {
    let message = ClientMessage::Follow {
        tokens: tokens.iter().copied().map(InstrumentToken).collect(),
    };
    ws.send(Message::Text(
        serde_json::to_string(&message).unwrap().into(),
    ))
    .await
    .expect("send follow");
}

async fn next_message(ws: &mut Ws) -> ServerMessage {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a message within 5 s")
            .expect("stream open")
            .expect("valid frame");
        if let Message::Text(text) = msg {
            return serde_json::from_str(&text).expect("a ServerMessage");
        }
    }
}

/// The next ticks (activity pushed in between is not what these tests read).
async fn next_ticks(ws: &mut Ws) -> Vec<Tick> {
    loop {
        match next_message(ws).await {
            ServerMessage::Ticks { ticks } => return ticks,
            ServerMessage::Refused { message } => panic!("refused: {message}"),
            ServerMessage::Activity { .. } => {}
        }
    }
}

/// Every tick received for `window`.
async fn collect(ws: &mut Ws, window: Duration) -> Vec<Vec<Tick>> {
    let deadline = tokio::time::Instant::now() + window;
    let mut batches = Vec::new();
    while tokio::time::Instant::now() < deadline {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => match serde_json::from_str(&text).unwrap() {
                ServerMessage::Ticks { ticks } => batches.push(ticks),
                ServerMessage::Refused { message } => panic!("refused: {message}"),
                ServerMessage::Activity { .. } => {}
            },
            Ok(Some(Ok(_))) => {}
            Ok(other) => panic!("stream ended: {other:?}"),
            Err(_) => break,
        }
    }
    batches
}

fn tokens_of(batches: &[Vec<Tick>]) -> BTreeSet<u32> {
    batches.iter().flatten().map(|t| t.token.0).collect()
}

#[tokio::test]
async fn clients_receive_exactly_the_instruments_they_follow() {
    let app = spawn_app().await;
    let mut a = connect(&app).await;
    let mut b = connect(&app).await;
    let mut c = connect(&app).await;
    follow(&mut a, &[RELIANCE, INFY]).await;
    follow(&mut b, &[SBIN]).await;
    follow(&mut c, &[TCS, RELIANCE]).await;
    // The reply to a follow is the latest tick of each, at once.
    let first: BTreeSet<u32> = next_ticks(&mut a).await.iter().map(|t| t.token.0).collect();
    assert_eq!(first, BTreeSet::from([RELIANCE, INFY]));

    let (ra, rb, rc) = tokio::join!(
        collect(&mut a, Duration::from_secs(2)),
        collect(&mut b, Duration::from_secs(2)),
        collect(&mut c, Duration::from_secs(2)),
    );
    assert_eq!(tokens_of(&ra), BTreeSet::from([RELIANCE, INFY]));
    assert_eq!(tokens_of(&rb), BTreeSet::from([SBIN]));
    assert_eq!(tokens_of(&rc), BTreeSet::from([TCS, RELIANCE]));
    assert!(ra.len() >= 3 && rb.len() >= 3, "live updates kept coming");

    // Following something else replaces the set.
    follow(&mut b, &[INFY]).await;
    let _reply = next_ticks(&mut b).await;
    let later = collect(&mut b, Duration::from_secs(1)).await;
    assert_eq!(tokens_of(&later), BTreeSet::from([INFY]));
    app.stop().await;
}

#[tokio::test]
async fn the_feed_follows_the_union_and_drops_what_nobody_needs() {
    use osp_core::model::FeedMode;
    let app = spawn_app().await;
    // ITC is neither an index (the pulse) nor on the starter watchlist: only browsers ask.
    let hits: serde_json::Value = app
        .client
        .post(app.url("/api/instruments/search"))
        .form(&[("query", "ITC")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let itc = hits
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["tradingsymbol"] == "ITC" && h["exchange"] == "NSE")
        .expect("ITC on NSE")["token"]
        .as_u64()
        .unwrap() as u32;
    let token = InstrumentToken(itc);
    assert_eq!(app.subscriptions.mode_of(token), None);
    let mut a = connect(&app).await;
    let mut b = connect(&app).await;
    follow(&mut a, &[itc]).await;
    follow(&mut b, &[itc]).await;
    next_ticks(&mut a).await;
    next_ticks(&mut b).await;
    // Browsers show depth: full mode.
    assert_eq!(app.subscriptions.mode_of(token), Some(FeedMode::Full));
    // Full-mode packets follow the mode change; on a busy machine the first second may
    // still carry quote packets, so wait (up to 10 s) for one with depth.
    let mut with_depth = false;
    let mut seen = BTreeSet::new();
    for _ in 0..10 {
        let ticks = collect(&mut a, Duration::from_secs(1)).await;
        seen.extend(tokens_of(&ticks));
        if ticks
            .iter()
            .flatten()
            .any(|t| t.token.0 == itc && t.depth.is_some())
        {
            with_depth = true;
            break;
        }
    }
    assert!(seen.contains(&itc), "the ticker streams it now");
    assert!(with_depth, "with depth");
    drop(a);
    // B still needs it.
    let still = collect(&mut b, Duration::from_millis(800)).await;
    assert!(tokens_of(&still).contains(&itc));
    assert_eq!(app.subscriptions.mode_of(token), Some(FeedMode::Full));
    drop(b);
    tokio::time::timeout(Duration::from_secs(5), async {
        while app.subscriptions.mode_of(token).is_some() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("released when the last client left");
    app.stop().await;
}

#[tokio::test]
async fn a_stalled_client_does_not_delay_the_others_and_then_gets_only_the_latest() {
    let app = spawn_app().await;
    let all = [NIFTY, RELIANCE, INFY, SBIN, TCS];
    let mut stalled = connect(&app).await;
    let mut reader = connect(&app).await;
    follow(&mut stalled, &all).await;
    follow(&mut reader, &all).await;
    next_ticks(&mut stalled).await;
    next_ticks(&mut reader).await;

    // The stalled client reads nothing for 3 s; the other keeps its pace.
    let batches = collect(&mut reader, Duration::from_secs(3)).await;
    assert!(
        batches.len() >= 8,
        "the reading client got {} batches in 3 s",
        batches.len()
    );
    let newest: HashMap<u32, i64> = batches
        .iter()
        .flatten()
        .map(|t| (t.token.0, t.exchange_time_ms))
        .collect();

    // What waited for the stalled client (in its inbox and socket buffers) is at most one
    // batch per pacing interval, one tick per instrument each — not the ~60 ticks per
    // instrument the feed produced meanwhile (one every 50 ms).
    let waiting = collect(&mut stalled, Duration::from_secs(1)).await;
    // 3 s stalled + 1 s reading at 4 batches/s, and slack for timing.
    assert!(
        waiting.len() <= 20,
        "{} batches were queued for the stalled client",
        waiting.len()
    );
    let per_instrument = waiting
        .iter()
        .flatten()
        .filter(|t| t.token.0 == RELIANCE)
        .count();
    assert!(
        per_instrument <= 20,
        "{per_instrument} RELIANCE ticks reached the stalled client; the feed sent ~80"
    );
    for batch in &waiting {
        let distinct: BTreeSet<u32> = batch.iter().map(|t| t.token.0).collect();
        assert_eq!(
            distinct.len(),
            batch.len(),
            "one tick per instrument per batch"
        );
    }
    let last_seen: HashMap<u32, i64> = waiting
        .iter()
        .flatten()
        .map(|t| (t.token.0, t.exchange_time_ms))
        .collect();
    for (token, at) in &newest {
        let got = last_seen.get(token).copied().unwrap_or_default();
        assert!(
            got + 1_000 >= *at,
            "instrument {token}: the stalled client's latest is from {got}, the feed's from {at}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn each_client_gets_at_most_the_configured_rate() {
    let app = spawn_app_with(&[("OSP__STREAM__MAX_UPDATES_PER_SECOND", "4")]).await;
    let mut ws = connect(&app).await;
    follow(&mut ws, &[RELIANCE, INFY, SBIN]).await;
    next_ticks(&mut ws).await;
    let started = std::time::Instant::now();
    let batches = collect(&mut ws, Duration::from_secs(2)).await;
    let elapsed = started.elapsed().as_secs_f64();
    assert!(
        batches.len() as f64 <= elapsed * 4.0 + 1.0,
        "{} batches in {elapsed:.2} s",
        batches.len()
    );
    // The feed ticks every 50 ms: each instrument appears at most once per batch.
    for batch in &batches {
        let distinct: BTreeSet<u32> = batch.iter().map(|t| t.token.0).collect();
        assert_eq!(distinct.len(), batch.len());
    }
    assert!(batches.len() >= 4, "updates kept coming: {}", batches.len());
    app.stop().await;
}

/// A frame carries at most `TICKS_PER_MESSAGE` ticks (the socket's write buffer keeps the size
/// of the largest frame it held): once 40 followed instruments all have prices, the reply to
/// following them again — the latest tick of each, 40 at once — comes in several frames that
/// together hold every one, and so does every batch after.
#[tokio::test]
async fn many_followed_instruments_come_in_frames_of_a_bounded_size() {
    use osp_core::ports::MarketData;
    use osp_server::websocket::prices::TICKS_PER_MESSAGE;
    let app = spawn_app().await;
    let tokens: Vec<u32> = app
        .sim
        .state
        .universe
        .instruments
        .iter()
        .map(|i| i.token.0)
        .take(40)
        .collect();
    assert_eq!(tokens.len(), 40, "the simulator lists 40 instruments");
    let wanted: Vec<InstrumentToken> = tokens.iter().copied().map(InstrumentToken).collect();
    let mut ws = connect(&app).await;
    follow(&mut ws, &tokens).await;
    // Every one ticks (as frames of at most 16 already) before the second follow.
    let mut priced = BTreeSet::new();
    while priced.len() < tokens.len() {
        priced.extend(next_ticks(&mut ws).await.iter().map(|t| t.token.0));
    }
    assert_eq!(app.prices.latest(&wanted).len(), tokens.len());
    follow(&mut ws, &tokens).await;
    let mut seen = BTreeSet::new();
    let mut frames = 0;
    while seen.len() < tokens.len() {
        let ticks = next_ticks(&mut ws).await;
        assert!(
            (1..=TICKS_PER_MESSAGE).contains(&ticks.len()),
            "a frame of {} ticks",
            ticks.len()
        );
        seen.extend(ticks.iter().map(|t| t.token.0));
        frames += 1;
    }
    assert_eq!(seen, tokens.iter().copied().collect::<BTreeSet<_>>());
    assert!(frames >= 40 / TICKS_PER_MESSAGE, "{frames} frames");
    for batch in collect(&mut ws, Duration::from_secs(2)).await {
        assert!(
            batch.len() <= TICKS_PER_MESSAGE,
            "a batch of {}",
            batch.len()
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn a_bad_or_too_large_follow_is_refused_with_a_reason() {
    let app = spawn_app().await;
    let mut ws = connect(&app).await;
    ws.send(Message::Text("{\"type\":\"subscribe\"}".into()))
        .await
        .unwrap();
    match next_message(&mut ws).await {
        ServerMessage::Refused { message } => assert!(message.contains("follow"), "{message}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let many: Vec<u32> = (1..=201).collect();
    follow(&mut ws, &many).await;
    match next_message(&mut ws).await {
        ServerMessage::Refused { message } => assert!(message.contains("200"), "{message}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    app.stop().await;
}

#[tokio::test]
async fn clients_are_told_going_away_when_the_server_stops() {
    let app = spawn_app().await;
    let mut ws = connect(&app).await;
    follow(&mut ws, &[NIFTY]).await;
    next_ticks(&mut ws).await;
    app.shutdown.cancel();
    let close = loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => break frame,
            Ok(Some(Ok(_))) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(close.map(|f| f.code), Some(CloseCode::Away));
    tokio::time::timeout(Duration::from_secs(15), app.task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn demo_prices_come_through_the_kite_protocol_and_survive_a_dropped_ticker() {
    let app = spawn_app().await;
    assert!(
        app.pool.packets().await > 0,
        "prices arrived as Kite ticker packets"
    );
    assert_eq!(app.simulator.connections_accepted(), 1);

    let mut ws = connect(&app).await;
    follow(&mut ws, &[NIFTY]).await;
    let before = next_ticks(&mut ws).await[0].exchange_time_ms;
    app.simulator.drop_connections();
    tokio::time::timeout(Duration::from_secs(10), async {
        while app.simulator.connections_accepted() < 2 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Prices move on after the reconnect: the subscription was restored.
        loop {
            let ticks = next_ticks(&mut ws).await;
            if ticks.iter().any(|t| t.exchange_time_ms > before + 1_000) {
                return;
            }
        }
    })
    .await
    .expect("the app reconnected to the simulator and prices moved on");
    let (_, health) = app.health().await;
    assert_eq!(health["feed"]["status"], "ok");
    app.stop().await;
}

#[tokio::test]
async fn order_updates_on_the_demo_ticker_become_domain_events() {
    use kite_connect::common::enums::{OrderType, Product, TransactionType};
    use kite_connect::http::models::OrderParams;
    use osp_core::model::OrderStatus;

    let mut app = spawn_app().await;
    let mut order = OrderParams::new(
        "NSE",
        "SBIN",
        TransactionType::Buy,
        OrderType::Market,
        Product::Mis,
        5,
    );
    order.tag = Some("demoevent".into());
    let placed = app.kite.place_order(&order).await.unwrap();
    let complete = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let event = app.order_events.recv().await.unwrap();
            if event.status == OrderStatus::Complete {
                return event;
            }
        }
    })
    .await
    .expect("a COMPLETE order event within 10 s");
    assert_eq!(complete.order_id, placed.order_id);
    assert_eq!(complete.tag.as_ref().map(|t| t.as_str()), Some("demoevent"));
    assert_eq!(complete.filled_quantity, 5);
    assert!(complete.average_price.is_some());
    app.stop().await;
}

/// A websocket request to the price stream as whoever `jar` is signed in as.
fn ws_request_as(
    app: &TestApp,
    jar: &reqwest::cookie::Jar,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    use reqwest::cookie::CookieStore;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{}/ws/prices", app.addr)
        .into_client_request()
        .unwrap();
    let headers = request.headers_mut();
    headers.insert("origin", format!("http://{}", app.addr).parse().unwrap());
    let cookie = jar.cookies(&app.url("/").parse().unwrap()).unwrap();
    headers.insert("cookie", cookie);
    request
}

/// The stream is bounded against its own users: only instruments in the catalog are followed
/// (made-up tokens would fill the feed's 9,000), a message over 16 KiB closes the socket
/// (the default allowed 64 MiB), one user holds at most 8 sockets, and signing out closes the
/// user's open sockets within seconds (before, they kept streaming).
#[tokio::test]
async fn the_stream_is_bounded_per_user_and_ends_with_the_session() {
    let app = spawn_app().await;
    let mut ws = connect(&app).await;
    follow(&mut ws, &[NIFTY, 4_000_000_001]).await;
    match next_message(&mut ws).await {
        ServerMessage::Refused { message } => {
            assert!(message.contains("4000000001"), "{message}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }

    let mut big = connect(&app).await;
    let _ = big.send(Message::Text("x".repeat(64 * 1024).into())).await;
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match big.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return true,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert_eq!(closed, Ok(true), "an oversized message ends the connection");

    let (status, body) = app
        .call_form(
            "users/create",
            &[
                ("username", "vera"),
                ("password", "a long enough passphrase"),
                ("role_code", "viewer"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (vera, jar) = app.new_client();
    assert_eq!(
        app.sign_in(&vera, "vera", "a long enough passphrase")
            .await
            .0,
        200
    );
    let mut hers = Vec::new();
    for _ in 0..8 {
        let (socket, _) = tokio_tungstenite::connect_async(ws_request_as(&app, &jar))
            .await
            .expect("within her allowance");
        hers.push(socket);
    }
    match tokio_tungstenite::connect_async(ws_request_as(&app, &jar)).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 429)
        }
        other => panic!("a ninth socket was not refused: {other:?}"),
    }
    // The admin's own socket is not hers: it still streams.
    follow(&mut ws, &[NIFTY]).await;
    assert!(!next_ticks(&mut ws).await.is_empty());

    // Signing out closes her sockets with a policy close.
    let response = vera.post(app.url("/api/auth/logout")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let mut socket = hers.pop().unwrap();
    let close = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    })
    .await
    .expect("closed within seconds of signing out");
    assert_eq!(close.map(|f| f.code), Some(CloseCode::Policy));
    app.stop().await;
}
