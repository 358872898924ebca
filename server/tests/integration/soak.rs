//! The soak (issue 23): `osp workers` and `osp serve --no-workers` on PostgreSQL and Redis, a
//! standalone simulator sending thousands of ticks a second, browsers' price streams on the
//! web process each following fifty instruments, and INFY moving every 2 s and across the
//! storm's band of four levels that buy up and sell down every 4 s, each trade with a
//! stop-loss whose stop order at the broker fills on the next crossing — for a long while. Then: anonymous
//! memory (heap and stacks) after warm-up has not grown by a tenth (in a run of ten minutes or
//! more; a short one only catches a gross leak), the tasks and open files of both processes
//! are back where they were once the browsers leave, every browser kept receiving, the
//! levels' orders pass the storm's per-tag audit and no trade is left open; and the figures (anonymous and total RSS,
//! tasks, files, delivery p50/p99 in five windows) are printed on a `chaos-figures soak` line
//! for docs/RELIABILITY.md.
//!
//! Sized by the environment: `OSP_CHAOS_SOAK_SECS` (default 20), `OSP_CHAOS_SOAK_CLIENTS`
//! (default 40), `OSP_CHAOS_SOAK_INSTRUMENTS` (default 30, at most the simulator's 140) and
//! `OSP_CHAOS_SOAK_TICKS` (ticks a second, default 300: the simulator steps as often as that
//! takes, sending every instrument each step). `scripts/chaos.sh` runs 1,800 s with 500
//! browsers on 140 instruments at 3,000 ticks/s.
//! Delivery is measured from the moment the test moves INFY's price in the simulator to the
//! moment a browser has decoded it: the simulator's step (up to 100 ms), the ticker, the
//! workers' price service, Redis, the web process's pacing and the socket.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::live::ServerMessage;
use futures::StreamExt;
use osp_core::model::{InstrumentToken, Price};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::cluster::{
    Cluster, INFY, Logs, admins, call, connect_kite, post_form, price_stream_following,
};
use crate::helpers::{browser_client, clear_of_kites_daily_flush, moved};
use crate::processes::free_addr;
use crate::storm::{Audit, band_level, band_of, env_count, settled_intents};

/// What /proc says of a process now: resident memory (kB), and of it the anonymous part —
/// heap and stacks, what a leak grows; the rest is pages of files mapped in, mostly the
/// executable's code (93 MB of it in the debug build), read in as code runs for the first time
/// and dropped by the kernel when it needs them — threads, open files.
#[derive(Clone, Copy, Debug, Default)]
struct Usage {
    rss_kb: u64,
    anon_kb: u64,
    threads: u64,
    files: u64,
}

fn usage(pid: u32) -> Usage {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let files = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count() as u64);
    Usage {
        rss_kb: field("VmRSS:"),
        anon_kb: field("RssAnon:"),
        threads: field("Threads:"),
        files,
    }
}

/// The tasks alive in a process's runtime, from its `/metrics`.
async fn alive_tasks(metrics: SocketAddr) -> u64 {
    let text = reqwest::get(format!("http://{metrics}/metrics"))
        .await
        .expect("/metrics answers")
        .text()
        .await
        .expect("/metrics text");
    text.lines()
        .find(|l| l.starts_with("osp_runtime_alive_tasks "))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("osp_runtime_alive_tasks in /metrics: {text}")) as u64
}

/// When each INFY price the swing set was set (the browsers look their arrivals up here).
type SetAt = Arc<Mutex<HashMap<Price, Instant>>>;

/// One browser: follows INFY and `others`, notes how long each new INFY price took to reach
/// it (ms, with the moment it arrived), until `stop`.
async fn browser(
    web: SocketAddr,
    cookies: Arc<reqwest::cookie::Jar>,
    follow: Vec<InstrumentToken>,
    set_at: SetAt,
    stop: CancellationToken,
) -> Vec<(Instant, u64)> {
    let mut ws = price_stream_following(web, &cookies, follow).await;
    let mut seen = Vec::new();
    let mut last = None;
    loop {
        let next = tokio::select! {
            _ = stop.cancelled() => break,
            next = ws.next() => next,
        };
        let Some(Ok(Message::Text(text))) = next else {
            if matches!(next, Some(Ok(_))) {
                continue;
            }
            break;
        };
        let Ok(ServerMessage::Ticks { ticks }) = serde_json::from_str(&text) else {
            continue;
        };
        let now = Instant::now();
        for tick in ticks.iter().filter(|t| t.token == InstrumentToken(INFY)) {
            if last == Some(tick.last_price) {
                continue;
            }
            last = Some(tick.last_price);
            let set = set_at.lock().unwrap().get(&tick.last_price).copied();
            if let Some(set) = set {
                seen.push((now, now.duration_since(set).as_millis() as u64));
            }
        }
    }
    ws.close(None).await.ok();
    seen
}

/// p50 and p99 of `values` (ms).
fn percentiles(values: &mut [u64]) -> (u64, u64) {
    if values.is_empty() {
        return (0, 0);
    }
    values.sort_unstable();
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_soak_of_ticks_browsers_and_levels_leaks_no_memory_tasks_or_files() {
    let secs = env_count("OSP_CHAOS_SOAK_SECS", 20, 7_200);
    let clients = env_count("OSP_CHAOS_SOAK_CLIENTS", 40, 2_000) as usize;
    let instruments = env_count("OSP_CHAOS_SOAK_INSTRUMENTS", 30, 140) as usize;
    let ticks = env_count("OSP_CHAOS_SOAK_TICKS", 300, 20_000);
    // The run, its warm-up (at most 2 minutes) and the set-up and settling around them.
    clear_of_kites_daily_flush(Duration::from_secs(secs + 120 + 180)).await;
    // The simulator sends every subscribed instrument each step.
    let step = Duration::from_millis((instruments as u64 * 1_000 / ticks).max(5));
    let web_addr = free_addr();
    let mut cluster = Cluster::ticking("soak", web_addr, 3_000, step).await;
    let (workers_metrics, web_metrics) = (free_addr(), free_addr());
    cluster.set_env("OSP__METRICS__ADDR", workers_metrics.to_string());
    let workers = cluster
        .layout
        .start("workers", &["workers"], free_addr())
        .await;
    cluster.set_env("OSP__METRICS__ADDR", web_metrics.to_string());
    let web = cluster
        .layout
        .start("web", &["serve", "--no-workers"], web_addr)
        .await;
    let logs = Logs::of(&[&workers, &web]);
    let (admin, _) = admins(web_addr, &[]).await.remove(0);
    connect_kite(&admin, web_addr).await;
    let sim = &cluster.sim.sim;
    // Each level's trade carries a stop-loss, as a trader's does: it stands at the broker as a
    // stop order and fills on the next swing, so the trades open and close all through the
    // soak. (Without one every trade stayed open — two thousand positions by the end, each
    // rightly held in memory by the trade monitor, which grew the workers with the open book,
    // not with a leak.)
    let (low, high) = band_of(&admin, web_addr, sim, |price| {
        let mut level = band_level(price);
        level["stop_loss"] = serde_json::json!("0.3%");
        level
    })
    .await;

    // The instruments the browsers follow: INFY and the simulator's first others.
    let tokens: Vec<InstrumentToken> = std::iter::once(InstrumentToken(INFY))
        .chain(
            sim.state
                .universe
                .instruments
                .iter()
                .map(|i| i.token)
                .filter(|t| *t != InstrumentToken(INFY)),
        )
        .take(instruments)
        .collect();
    assert_eq!(
        tokens.len(),
        instruments,
        "the simulator has fewer instruments"
    );
    // Viewers, eight browsers each (the most sockets one user may hold).
    let mut viewers = Vec::new();
    for v in 0..clients.div_ceil(8) {
        let name = format!("viewer{v}");
        let form = [
            ("username", name.as_str()),
            ("password", "a long enough passphrase"),
            ("role_code", "viewer"),
        ];
        post_form(&admin, web_addr, "users/create", &form).await;
        let (client, cookies) = browser_client(web_addr);
        post_form(
            &client,
            web_addr,
            "auth/login",
            &[
                ("username", name.as_str()),
                ("password", "a long enough passphrase"),
            ],
        )
        .await;
        viewers.push(cookies);
    }

    let before = (
        usage(workers.child.id().unwrap()),
        usage(web.child.id().unwrap()),
        alive_tasks(workers_metrics).await,
        alive_tasks(web_metrics).await,
    );

    // The swing: INFY to a price of its own every 2 s, across the band every other time — each
    // crossing is four entries and four stop orders, and across the band every 2 s the
    // 30-minute soak passed Kite's 5,000 orders a day two thirds of the way in.
    let stop = CancellationToken::new();
    let set_at: SetAt = Arc::default();
    let swing = tokio::spawn({
        let (sim, stop, set_at) = (sim.clone(), stop.clone(), set_at.clone());
        async move {
            let mut k = 0i64;
            while !stop.is_cancelled() {
                let side = if (k / 2) % 2 == 0 { high } else { low };
                let price = moved(side, if side == high { k % 40 } else { -(k % 40) });
                set_at.lock().unwrap().insert(price, Instant::now());
                sim.set_last_price(INFY, price);
                k += 1;
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            k
        }
    });
    let mut browsers = Vec::new();
    for c in 0..clients {
        // INFY and 49 others, a different run of them for each browser.
        let others = tokens[1..]
            .iter()
            .cycle()
            .skip(c * 7)
            .take(49.min(instruments - 1));
        let follow = std::iter::once(tokens[0]).chain(others.copied()).collect();
        browsers.push(tokio::spawn(browser(
            web_addr,
            viewers[c / 8].clone(),
            follow,
            set_at.clone(),
            stop.clone(),
        )));
    }

    // Memory and tasks sampled through the run, after a warm-up of a fifth of it (5 s to 2 min).
    let started = Instant::now();
    let warm_up = Duration::from_secs((secs / 5).clamp(5, 120));
    let run = Duration::from_secs(secs) + warm_up;
    let every = (run / 30).max(Duration::from_secs(1));
    let mut samples = Vec::new();
    while started.elapsed() < run {
        tokio::time::sleep(every).await;
        samples.push((
            started.elapsed(),
            usage(workers.child.id().unwrap()),
            usage(web.child.id().unwrap()),
        ));
    }
    let during = (
        alive_tasks(workers_metrics).await,
        alive_tasks(web_metrics).await,
    );
    stop.cancel();
    let swings = swing.await.expect("the swing");
    // The day ends: the levels off, the market down through the longs' stops and up through
    // the shorts', so no trade is left open and every stop order ends filled.
    let levels = call(&admin, web_addr, "levels", serde_json::json!({})).await;
    for level in levels["levels"].as_array().expect("the levels") {
        let id = level["stored"]["level"]["id"]
            .as_i64()
            .expect("a level's id");
        let form = [("id", id.to_string()), ("enabled", "false".to_owned())];
        post_form(&admin, web_addr, "levels/enable", &form).await;
    }
    // Each move waits for its trades to close (the stop orders fill at the simulator, the
    // workers hear of it), not for a fixed time.
    for (price, closes) in [(low, "buy"), (high, "sell")] {
        sim.set_last_price(INFY, price);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let book = call(&admin, web_addr, "trades", serde_json::json!({})).await;
            let open = book["trades"]
                .as_array()
                .expect("the trades")
                .iter()
                .filter(|t| t["trade"]["side"] == closes && t["trade"]["state"] != "closed")
                .count();
            if open == 0 || Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let mut arrivals = Vec::new();
    let mut starved = 0;
    for b in browsers {
        let seen = b.await.expect("a browser");
        // After warm-up every browser kept receiving: at least half the swings reached it.
        let late = seen
            .iter()
            .filter(|(at, _)| *at >= started + warm_up)
            .count() as i64;
        if late < (swings - (warm_up.as_secs() as i64 / 2)) / 2 {
            starved += 1;
        }
        arrivals.extend(seen);
    }
    sim.release_price(INFY);

    // The browsers gone, both processes come back to where they were (a little time for the
    // sockets to close and their tasks to end).
    let mut after = before;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        after = (
            usage(workers.child.id().unwrap()),
            usage(web.child.id().unwrap()),
            alive_tasks(workers_metrics).await,
            alive_tasks(web_metrics).await,
        );
        if after.1.files <= before.1.files + 2 && after.3 <= before.3 + 2 {
            break;
        }
    }

    // Growth: the median of the last five samples over that of the first five after warm-up
    // (one sample of anonymous memory swings by ±15 % as buffers come and go under 3,000
    // ticks/s).
    let warm_samples: Vec<(Usage, Usage)> = samples
        .iter()
        .filter(|(at, ..)| *at >= warm_up)
        .map(|(_, w, s)| (*w, *s))
        .collect();
    assert!(
        warm_samples.len() >= 10,
        "too few samples after warm-up: {}",
        warm_samples.len()
    );
    let median = |of: &[(Usage, Usage)], pick: fn(&(Usage, Usage)) -> u64| {
        let mut values: Vec<u64> = of.iter().map(pick).collect();
        values.sort_unstable();
        values[values.len() / 2]
    };
    let (first, last) = (&warm_samples[..5], &warm_samples[warm_samples.len() - 5..]);
    let memory = |pick: fn(&(Usage, Usage)) -> u64| (median(first, pick), median(last, pick));
    let workers_rss = memory(|(w, _)| w.rss_kb);
    let web_rss = memory(|(_, s)| s.rss_kb);
    let workers_anon = memory(|(w, _)| w.anon_kb);
    let web_anon = memory(|(_, s)| s.anon_kb);
    let growth = |(from, to): (u64, u64)| (to as f64 - from as f64) * 100.0 / from as f64;
    let mb = |kb: u64| kb as f64 / 1024.0;
    let (workers_growth, web_growth) = (growth(workers_anon), growth(web_anon));
    // Delivery in five windows after warm-up.
    let after_warm_up: Vec<_> = arrivals
        .iter()
        .filter(|(at, _)| *at >= started + warm_up)
        .collect();
    let window = Duration::from_secs(secs).as_secs_f64() / 5.0;
    let mut windows = vec![Vec::new(); 5];
    for (at, ms) in &after_warm_up {
        let offset = at.duration_since(started + warm_up).as_secs_f64();
        windows[((offset / window) as usize).min(4)].push(*ms);
    }
    let p99s: Vec<String> = windows
        .iter_mut()
        .map(|w| {
            let (p50, p99) = percentiles(w);
            format!("{p50}/{p99}")
        })
        .collect();
    let intents = settled_intents(&cluster.database_url).await;
    let audit = Audit::of(&intents, &sim.state.broker.orders());
    println!(
        "chaos-figures soak secs={secs} browsers={clients} instruments={instruments} \
         ticks_per_s={} swings={swings} deliveries={} starved={starved} \
         delivery_p50_p99_ms_by_window={} \
         workers_anon_mb={:.1}->{:.1} ({workers_growth:+.1}%) web_anon_mb={:.1}->{:.1} \
         ({web_growth:+.1}%) workers_rss_mb={:.1}->{:.1} ({:+.1}%) web_rss_mb={:.1}->{:.1} \
         ({:+.1}%) tasks_workers={}->{}->{} tasks_web={}->{}->{} \
         files_workers={}->{} files_web={}->{} threads_web={}->{} {}",
        instruments as u128 * 1_000 / step.as_millis(),
        after_warm_up.len(),
        p99s.join(","),
        mb(workers_anon.0),
        mb(workers_anon.1),
        mb(web_anon.0),
        mb(web_anon.1),
        mb(workers_rss.0),
        mb(workers_rss.1),
        growth(workers_rss),
        mb(web_rss.0),
        mb(web_rss.1),
        growth(web_rss),
        before.2,
        during.0,
        after.2,
        before.3,
        during.1,
        after.3,
        before.0.files,
        after.0.files,
        before.1.files,
        after.1.files,
        before.1.threads,
        after.1.threads,
        audit.figures(),
    );

    assert_eq!(starved, 0, "browsers stopped receiving\n{}", logs.read());
    assert!(
        during.1 > before.3 + clients as u64 / 2,
        "the web process's task count does not see the browsers ({} before, {} during): the \
         leak check below would prove nothing",
        before.3,
        during.1
    );
    assert!(
        after.3 <= before.3 + 2 && after.1.files <= before.1.files + 2,
        "the web process kept tasks or files of browsers that left: tasks {} -> {}, files {} \
         -> {}",
        before.3,
        after.3,
        before.1.files,
        after.1.files
    );
    assert!(
        after.2 <= before.2 + 2 && after.0.files <= before.0.files + 2,
        "the workers process kept tasks or files: tasks {} -> {}, files {} -> {}",
        before.2,
        after.2,
        before.0.files,
        after.0.files
    );
    // Issue 23's bound is for the long run; the test command's 20 s run, 5 s past start,
    // has not settled yet (the allocator's arenas, the price history filling), so it only
    // catches a gross leak.
    let most = if secs >= 600 { 10.0 } else { 30.0 };
    assert!(
        workers_growth < most && web_growth < most,
        "anonymous memory (heap and stacks) grew after warm-up: workers {workers_growth:+.1}%, \
         web {web_growth:+.1}% (at most {most}% in a {secs} s run)"
    );
    audit.assert_consistent(&logs.read());
    assert!(
        audit.from_levels > 0 && audit.filled > 0,
        "the levels placed no order during the soak: {audit:?}\n{}",
        logs.read()
    );
    // The trades opened and closed: none is left open, and their stop orders closed them.
    let book = call(&admin, web_addr, "trades", serde_json::json!({})).await;
    let stopped = book["trades"]
        .as_array()
        .expect("the trades")
        .iter()
        .filter(|t| t["trade"]["exit_reason"] == "stop_loss" && t["trade"]["state"] == "closed")
        .count();
    assert!(
        book["open_positions"] == 0 && stopped > 0,
        "trades left open ({}) or none closed by its stop ({stopped})\n{}",
        book["open_positions"],
        logs.read()
    );
    let mut workers = workers;
    let mut web = web;
    for process in [&mut workers, &mut web] {
        assert!(
            process.child.try_wait().expect("the process").is_none(),
            "{} exited during the soak\n{}",
            process.name,
            logs.read()
        );
    }
    workers.kill().await;
    web.kill().await;
    cluster.stop();
}
