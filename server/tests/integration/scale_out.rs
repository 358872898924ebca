//! The layout for more than one machine, as real processes: two `osp serve --no-workers`, two
//! `osp workers` (a leader and a hot standby), one PostgreSQL database and one Redis bus (both
//! started by the test command on loopback), and a standalone Kite simulator. Connect Kite
//! through one web process reaches the workers' ticker; a websocket client on each web process
//! sees the same prices; a level made through one web process fires once in the workers; the
//! leader is killed and the standby places the next crossing's order, with exactly one order
//! per crossing at the broker.
//!
//! Over 500 lines: the processes are started once and the scenarios run in sequence on them
//! (starting them takes most of the time), so they share one file and one fixture.

use std::net::SocketAddr;
use std::time::Duration;

use app::live::ServerMessage;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::cluster::{
    Cluster, INFY, Logs, Ws, admins, call, connect_kite, last_price, level_draft,
    market_buy_ticket, orders, post_form, price_stream, ready, sees_price,
};
use crate::helpers::moved;
use crate::processes::free_addr;

/// Reads `ws` until activity naming `needle` arrives (at most 15 s).
async fn sees_activity(ws: &mut Ws, needle: &str) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while let Ok(Some(Ok(message))) = tokio::time::timeout_at(deadline, ws.next()).await {
        if let Message::Text(text) = message
            && let Ok(ServerMessage::Activity { .. }) = serde_json::from_str(&text)
            && text.contains(needle)
        {
            return true;
        }
    }
    false
}

/// Waits (at most 20 s) until the order book through `addr` has `count` filled orders.
async fn filled_orders(client: &reqwest::Client, addr: SocketAddr, count: usize) -> Vec<Value> {
    for _ in 0..200 {
        let book = orders(client, addr).await;
        if book.iter().filter(|o| o["state"] == "filled").count() >= count {
            return book;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "never {count} filled orders: {:?}",
        orders(client, addr).await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_web_processes_and_two_workers_share_prices_levels_and_hand_over_without_a_lost_or_duplicate_order()
 {
    let (web1_addr, web2_addr) = (free_addr(), free_addr());
    let cluster = Cluster::new("scale-out", web1_addr, 3000).await;
    let (sim, layout) = (&cluster.sim, &cluster.layout);
    // The first process migrates the new database; the others start against it.
    let mut leader = layout.start("workers-1", &["workers"], free_addr()).await;
    let mut standby = layout.start("workers-2", &["workers"], free_addr()).await;
    let web1 = layout
        .start("web-1", &["serve", "--no-workers"], web1_addr)
        .await;
    let web2 = layout
        .start("web-2", &["serve", "--no-workers"], web2_addr)
        .await;
    let processes = [&leader, &standby, &web1, &web2];
    let log_files = Logs::of(&processes);
    let logs = || log_files.read();
    for process in processes {
        let body = ready(process.addr).await;
        assert_eq!(body["bus"]["ready"], true, "{}: {body}", process.name);
    }
    // The workers processes say what the bus is to anyone; a web process only to a user.
    for process in [&leader, &standby] {
        let body = ready(process.addr).await;
        assert_eq!(body["bus"]["kind"], "redis", "{}: {body}", process.name);
    }

    // The admin, made through one web process, signs in on the other (one database).
    let mut signed_in = admins(web1_addr, &[web2_addr]).await.into_iter();
    let (admin1, cookies1) = signed_in.next().expect("web 1's admin");
    let (admin2, cookies2) = signed_in.next().expect("web 2's admin");
    for (admin, addr) in [(&admin1, web1_addr), (&admin2, web2_addr)] {
        let body: Value = admin
            .get(format!("http://{addr}/ready"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["bus"]["kind"], "redis", "{addr}: {body}");
    }

    // Connect Kite through web 1: the workers' ticker follows the login it stored.
    connect_kite(&admin1, web1_addr).await;

    // A browser client on each web process: both see the price the market moves to.
    let mut ws1 = price_stream(web1_addr, &cookies1).await;
    let mut ws2 = price_stream(web2_addr, &cookies2).await;
    let start = last_price(&sim.sim);
    let marked = moved(start, 7);
    // Held there while both look (the walk leaves a price put by hand).
    assert!(sim.sim.set_last_price(INFY, marked));
    assert!(
        sees_price(&mut ws1, marked).await,
        "web 1 never streamed {marked}\n{}",
        logs()
    );
    assert!(
        sees_price(&mut ws2, marked).await,
        "web 2 never streamed {marked}\n{}",
        logs()
    );
    // The walk goes on: a worker taking over later sees the price move, as on a market.
    sim.sim.release_price(INFY);

    // The web processes show the workers' processes as they say they stand: the bus with both
    // heard (the leader's ticker the connected one), every worker by process, the feed.
    let leader_label = leader.addr.to_string();
    let mut heard = Value::Null;
    for _ in 0..50 {
        heard = call(&admin2, web2_addr, "bus", json!({})).await;
        if heard["peers"].as_array().is_some_and(|p| p.len() == 2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(heard["kind"], "redis", "{heard}");
    assert_eq!(heard["role"], "web only", "{heard}");
    let peers = heard["peers"].as_array().expect("peers");
    assert_eq!(peers.len(), 2, "both workers processes heard: {heard}");
    let with_feed: Vec<&Value> = peers.iter().filter(|p| p["feed"] == true).collect();
    assert_eq!(with_feed.len(), 1, "one connected ticker: {heard}");
    assert_eq!(with_feed[0]["label"], leader_label.as_str());
    let listed = call(&admin1, web1_addr, "workers", json!({})).await;
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w["name"].as_str())
        .collect();
    assert!(
        names.contains(&format!("trading @ {leader_label}").as_str())
            && names.contains(&format!("trading @ {}", standby.addr).as_str()),
        "{names:?}"
    );
    // The leader says how its ticker stands every 2 s: what a web process shows may be one
    // announcement behind the login.
    let mut feed = Value::Null;
    for _ in 0..50 {
        feed = call(&admin1, web1_addr, "feed", json!({})).await;
        if feed["connections"] == json!(["connected"]) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(feed["connections"], json!(["connected"]), "{feed}");
    // An admin's restart through a web process reaches the process that runs the worker.
    let restart = |name: String| {
        admin1
            .post(format!("http://{web1_addr}/api/workers/restart"))
            .form(&[("name", name)])
            .send()
    };
    let webhooks_since = |body: Value| {
        body["workers"]
            .as_array()
            .and_then(|w| w.iter().find(|w| w["name"] == "webhooks"))
            .map(|w| w["since_ms"].as_i64().unwrap_or_default())
            .unwrap_or_default()
    };
    let before = webhooks_since(ready(leader.addr).await);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let restarted = restart(format!("webhooks @ {leader_label}")).await.unwrap();
    assert_eq!(
        restarted.status(),
        200,
        "{}",
        restarted.text().await.unwrap()
    );
    let mut started_again = false;
    for _ in 0..50 {
        if webhooks_since(ready(leader.addr).await) > before {
            started_again = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        started_again,
        "the leader restarted its webhooks worker\n{}",
        logs()
    );
    let unknown = restart("webhooks @ 127.0.0.1:1".to_owned()).await.unwrap();
    assert_eq!(unknown.status(), 404);

    // A level confirmed over many ticks, crossed: while the leader's trader confirms it, both
    // web processes show it confirming (their own traders run no ticks). Deleted after.
    let slow_level = moved(marked, 300);
    let mut slow = level_draft(slow_level);
    slow["confirmation"] = json!("ticks");
    slow["confirmation_value"] = json!("100");
    let created = call(
        &admin2,
        web2_addr,
        "levels/create",
        json!({ "draft": slow }),
    )
    .await;
    let slow_id = created["stored"]["level"]["id"].as_i64().unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    sim.sim.set_last_price(INFY, moved(slow_level, 100));
    for (admin, addr) in [(&admin1, web1_addr), (&admin2, web2_addr)] {
        let mut phase = Value::Null;
        for _ in 0..100 {
            let listed = call(admin, addr, "levels", json!({})).await;
            phase = listed["levels"]
                .as_array()
                .and_then(|l| l.iter().find(|l| l["stored"]["level"]["id"] == slow_id))
                .map(|l| l["phase"].clone())
                .unwrap_or_default();
            if phase == "confirming" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(phase, "confirming", "{addr}\n{}", logs());
    }
    post_form(
        &admin1,
        web1_addr,
        "levels/delete",
        &[("id", slow_id.to_string())],
    )
    .await;
    // The market back where the next level is above it.
    sim.sim.set_last_price(INFY, marked);
    sim.sim.release_price(INFY);

    // A level made through web 2 is watched by the leader's trading worker: one order.
    let first_level = moved(marked, 300);
    let created = call(
        &admin2,
        web2_addr,
        "levels/create",
        json!({ "draft": level_draft(first_level) }),
    )
    .await;
    let first_id = created["stored"]["level"]["id"].as_i64().unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    sim.sim.set_last_price(INFY, moved(first_level, 100));
    let book = filled_orders(&admin1, web1_addr, 1).await;
    sim.sim.release_price(INFY);
    assert_eq!(book.len(), 1, "one order for one crossing: {book:?}");
    assert_eq!(book[0]["level"], first_id);
    // The trigger and the fill, recorded by the leader, reach the browsers of both web processes.
    assert!(
        sees_activity(&mut ws1, "INFY").await,
        "web 1 pushed no activity\n{}",
        logs()
    );
    assert!(
        sees_activity(&mut ws2, "INFY").await,
        "web 2 pushed no activity\n{}",
        logs()
    );
    // Only the leader's ticker is connected to Kite (the standby relays nothing).
    assert_eq!(
        sim.sim.state.control.connections_accepted(),
        1,
        "one ticker connection for the whole layout\n{}",
        logs()
    );

    // An order placed by hand through web 2 is recorded there and sent by the leader, once.
    let placed = call(&admin2, web2_addr, "orders/place", market_buy_ticket()).await;
    assert_eq!(
        placed["state"], "pending",
        "the web process sends nothing: {placed}"
    );
    let book = filled_orders(&admin1, web1_addr, 2).await;
    assert!(
        book.iter()
            .any(|o| o["id"] == placed["id"] && o["state"] == "filled" && o["level"].is_null()),
        "the manual order filled: {book:?}"
    );

    // The leader dies without giving the lease up; the standby takes over once it lapses and
    // places the next crossing's order — the first level, fired once, stays fired.
    let phase_of = |body: &Value| {
        body["workers"]
            .as_array()
            .and_then(|w| w.iter().find(|w| w["name"] == "trading"))
            .map(|w| w["phase"].clone())
            .unwrap_or_default()
    };
    assert_eq!(phase_of(&ready(leader.addr).await), "running");
    assert_ne!(
        phase_of(&ready(standby.addr).await),
        "running",
        "the standby does not trade while the leader holds the lease"
    );
    leader.kill().await;
    let took_over = async {
        for _ in 0..100 {
            if phase_of(&ready(standby.addr).await) == "running" {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        false
    };
    assert!(
        took_over.await,
        "the standby never took the trading lease\n{}",
        logs()
    );
    let price_now = last_price(&sim.sim);
    let second_level = moved(price_now, 300);
    let created = call(
        &admin1,
        web1_addr,
        "levels/create",
        json!({ "draft": level_draft(second_level) }),
    )
    .await;
    let second_id = created["stored"]["level"]["id"].as_i64().unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    sim.sim.set_last_price(INFY, moved(second_level, 100));
    let book = filled_orders(&admin2, web2_addr, 3).await;
    sim.sim.release_price(INFY);
    assert_eq!(
        book.len(),
        3,
        "one more order for one more crossing: {book:?}"
    );
    let mut levels: Vec<i64> = book.iter().filter_map(|o| o["level"].as_i64()).collect();
    levels.sort_unstable();
    assert_eq!(levels, vec![first_id, second_id]);
    assert_eq!(
        sim.sim.state.control.connections_accepted(),
        2,
        "the standby connected Kite's ticker only on taking over"
    );
    // At the broker: exactly one order per tag, and only these two.
    let tags: Vec<String> = book
        .iter()
        .map(|o| o["request"]["tag"].as_str().unwrap().to_owned())
        .collect();
    let at_broker: Vec<String> = sim
        .sim
        .state
        .broker
        .orders()
        .into_iter()
        .filter_map(|o| o.tag)
        .collect();
    for tag in &tags {
        assert_eq!(
            at_broker.iter().filter(|t| *t == tag).count(),
            1,
            "exactly one order at the broker for {tag}: {at_broker:?}"
        );
    }
    assert_eq!(
        at_broker.len(),
        3,
        "no other order reached the broker: {at_broker:?}"
    );

    // The kill switch engaged through web 1 halts the workers' process: a crossing after it
    // places nothing.
    let price_now = last_price(&sim.sim);
    let third_level = moved(price_now, 300);
    call(
        &admin1,
        web1_addr,
        "levels/create",
        json!({ "draft": level_draft(third_level) }),
    )
    .await;
    post_form(
        &admin1,
        web1_addr,
        "risk/kill-switch",
        &[("square_off", "false")],
    )
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    sim.sim.set_last_price(INFY, moved(third_level, 100));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let book = orders(&admin2, web2_addr).await;
    assert_eq!(
        book.len(),
        3,
        "no order while the kill switch is on: {book:?}"
    );
    assert_eq!(sim.sim.state.broker.orders().len(), 3);

    // Both workers processes gone: once the web processes have not heard of one for the
    // peers' expiry, an order placed by hand is refused at once with the reason — not left
    // pending for a workers process that may start minutes later.
    leader.kill().await;
    standby.kill().await;
    let mut peers = Value::Null;
    for _ in 0..150 {
        peers = call(&admin2, web2_addr, "bus", json!({})).await["peers"].clone();
        if peers.as_array().is_some_and(Vec::is_empty) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(peers, json!([]), "the dead workers were still listed");
    let refused = call(&admin2, web2_addr, "orders/place", market_buy_ticket()).await;
    assert_eq!(refused["state"], "rejected", "{refused}");
    let reason = refused["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("no workers process"), "{reason}");
    assert_eq!(sim.sim.state.broker.orders().len(), 3);

    drop(ws1);
    drop(ws2);
    for mut process in [leader, standby, web1, web2] {
        let _ = process.child.start_kill();
        let _ = process.child.wait().await;
    }
    cluster.stop();
}
