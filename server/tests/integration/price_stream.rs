use std::time::Duration;

use app::live::ServerMessage;
use futures::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::helpers::spawn_app;

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

#[tokio::test]
async fn a_slow_client_gets_the_latest_snapshot_not_a_backlog() {
    let app = spawn_app().await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws/prices", app.addr))
        .await
        .unwrap();
    let first = next_snapshot(&mut ws).await;
    // Read nothing while the feed produces ~20 updates.
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let mut received = 0;
    let mut newest = first.seq;
    while let Ok(Some(Ok(msg))) = tokio::time::timeout(Duration::from_millis(120), ws.next()).await
    {
        if let Message::Text(text) = msg {
            let ServerMessage::Snapshot { snapshot } = serde_json::from_str(&text).unwrap();
            newest = snapshot.seq;
            received += 1;
        }
        if received > 50 {
            break;
        }
    }
    // With conflation the client is sent one pending snapshot, then keeps pace: far fewer
    // messages than the ~20 updates it slept through, and it is current.
    let current = app
        .client
        .post(app.url("/api/market/snapshot"))
        .send()
        .await
        .unwrap()
        .json::<osp_core::model::MarketSnapshot>()
        .await
        .unwrap()
        .seq;
    assert!(
        newest + 3 >= current,
        "client is current: {newest} vs {current}"
    );
    assert!(
        newest - first.seq >= 15,
        "the feed moved on while the client slept"
    );
    assert!(
        received < 10,
        "conflated, not queued: {received} messages for {} updates",
        newest - first.seq
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
