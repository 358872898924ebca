use std::time::Duration;

use app::live::ServerMessage;
use futures::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::helpers::{spawn_app, spawn_app_with};

async fn next_snapshot<S>(ws: &mut S) -> osp_core::model::MarketSnapshot
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("an update within 5 s")
            .expect("stream open")
            .expect("valid frame");
        if let Message::Text(text) = msg {
            let ServerMessage::Snapshot { snapshot } = serde_json::from_str(&text).unwrap();
            return snapshot;
        }
    }
}

#[tokio::test]
async fn a_client_receives_a_snapshot_then_live_updates() {
    let app = spawn_app().await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws/prices", app.addr))
        .await
        .unwrap();
    let first = next_snapshot(&mut ws).await;
    assert_eq!(first.quotes.len(), 7);
    let mut last = first.seq;
    for _ in 0..3 {
        let next = next_snapshot(&mut ws).await;
        assert!(
            next.seq > last,
            "updates move forward: {} then {}",
            last,
            next.seq
        );
        last = next.seq;
    }
    app.stop().await;
}

async fn current_seq(app: &crate::helpers::TestApp) -> u64 {
    app.client
        .post(app.url("/api/market/snapshot"))
        .send()
        .await
        .unwrap()
        .json::<osp_core::model::MarketSnapshot>()
        .await
        .unwrap()
        .seq
}

#[tokio::test]
async fn a_slow_client_gets_the_latest_snapshot_not_a_backlog() {
    let app = spawn_app().await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws/prices", app.addr))
        .await
        .unwrap();
    let first = next_snapshot(&mut ws).await;

    // Read nothing while the feed produces ~60 updates (one per 50 ms).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let target = current_seq(&app).await;
    assert!(
        target >= first.seq + 40,
        "the feed moved on: {} -> {target}",
        first.seq
    );

    let mut seqs = Vec::new();
    while seqs.last().is_none_or(|&s| s < target) {
        seqs.push(next_snapshot(&mut ws).await.seq);
        assert!(seqs.len() < 500, "the client never caught up");
    }
    let skipped = seqs.windows(2).any(|w| w[1] > w[0] + 1);
    assert!(seqs.windows(2).all(|w| w[1] > w[0]), "in order: {seqs:?}");
    assert!(
        skipped,
        "intermediate snapshots were dropped, not queued: {seqs:?}"
    );
    assert!(
        (seqs.len() as u64) < target - first.seq,
        "fewer messages ({}) than updates ({})",
        seqs.len(),
        target - first.seq
    );
    app.stop().await;
}

#[tokio::test]
async fn each_client_gets_at_most_the_configured_rate_of_the_newest_snapshots() {
    let app = spawn_app_with(&[("OSP__STREAM__MAX_UPDATES_PER_SECOND", "4")]).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws/prices", app.addr))
        .await
        .unwrap();
    let first = next_snapshot(&mut ws).await;
    let started = std::time::Instant::now();
    let mut seqs = vec![first.seq];
    while started.elapsed() < Duration::from_secs(2) {
        seqs.push(next_snapshot(&mut ws).await.seq);
    }
    let elapsed = started.elapsed().as_secs_f64();
    // 4 per second, never faster (one extra for the edge of the window).
    assert!(
        seqs.len() as f64 - 1.0 <= elapsed * 4.0 + 1.0,
        "{} messages in {elapsed:.2} s: {seqs:?}",
        seqs.len() - 1
    );
    // The feed ticks every 50 ms, so each message skips the snapshots in between.
    assert!(
        seqs.windows(2).all(|w| w[1] > w[0] + 1),
        "conflated: {seqs:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn clients_are_told_going_away_when_the_server_stops() {
    let app = spawn_app().await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws/prices", app.addr))
        .await
        .unwrap();
    next_snapshot(&mut ws).await;
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
    let packets = || {
        app.ticker
            .stats()
            .packets
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    assert!(packets() > 0, "prices arrived as Kite ticker packets");
    assert_eq!(app.simulator.connections_accepted(), 1);

    app.simulator.drop_connections();
    let before = current_seq(&app).await;
    tokio::time::timeout(Duration::from_secs(10), async {
        while app.simulator.connections_accepted() < 2 || current_seq(&app).await < before + 5 {
            tokio::time::sleep(Duration::from_millis(50)).await;
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
    use osp_core::model::OrderStatus;
    use osp_server::integrations::kite::common::enums::{OrderType, Product, TransactionType};
    use osp_server::integrations::kite::http::models::OrderParams;

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
