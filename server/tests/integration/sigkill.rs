//! A dead app still exits: `osp serve` as a real process in live mode on a standalone simulator
//! standing in for Kite. A trade's stop order stands at Kite; the process is killed with
//! SIGKILL (no shutdown of any kind runs); the market falls through the stop and Kite fills it
//! meanwhile; started again on the same data directory, the app closes the trade at Kite's fill
//! price, and Kite's book shows no exit of the app's own.

use osp_core::model::Price;
use serde_json::{Value, json};

use crate::cluster::{call, connect_kite, standalone_sim};
use crate::helpers::{
    REMOTE_API_KEY, REMOTE_API_SECRET, admin_session, browser_client, eventually, moved,
};
use crate::processes::{Layout, SECRETS_KEY, free_addr};

const SBIN: u32 = 779_521;

fn price(v: &Value) -> Price {
    Price::parse(v.as_str().unwrap_or_else(|| panic!("a price, not {v}"))).unwrap()
}

#[tokio::test]
async fn a_stop_order_at_kite_exits_after_the_app_is_killed_and_the_restart_closes_the_trade_once()
{
    use kite_connect::common::enums::{OrderType, Product, TransactionType};
    use kite_connect::common::urls::KiteEndpoints;
    use kite_connect::http::models::OrderParams;
    use kite_connect::http::{KiteClient, KiteClientConfig};

    let addr = free_addr();
    let base = format!("http://{addr}");
    let (sim, stop_sim) = standalone_sim(addr).await;
    let layout = Layout {
        dir: tempfile::tempdir().expect("a temporary directory"),
        env: [
            ("OSP__PROFILE", "test".to_owned()),
            ("OSP__MODE", "live".to_owned()),
            ("OSP__KITE__ENDPOINT", format!("http://{}", sim.addr)),
            ("OSP__KITE__ALLOW_PLAIN_HTTP", "true".to_owned()),
            ("OSP__SECRETS__KEY", SECRETS_KEY.to_owned()),
            // The killed process never lets go of the trading lease: the restarted one takes
            // over once it lapses (15 s by default; short here).
            ("OSP__WORKERS__LEASE_TTL_MS", "3000".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
    };
    // "Kite's own app": a session of its own at the simulator.
    let kite = KiteClient::new(KiteClientConfig::new(
        KiteEndpoints::simulator(&format!("http://{}", sim.addr)),
        REMOTE_API_KEY,
    ))
    .expect("kite client");
    kite.set_access_token(secrecy::SecretString::from(
        sim.sim.state.auth.issue_access_token(),
    ));

    let mut app = layout.start("app", &["serve"], addr).await;
    let (client, _) = browser_client(addr);
    admin_session(addr, &client).await;
    let saved = client
        .post(format!("{base}/api/kite/app"))
        .form(&[
            ("api_key", REMOTE_API_KEY),
            ("api_secret", REMOTE_API_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        saved.status().is_success(),
        "{}",
        saved.text().await.unwrap()
    );
    connect_kite(&client, addr).await;

    // 5 SBIN bought in Kite's own app, adopted with a stop: its SL-M stands at Kite.
    kite.place_order(&OrderParams::new(
        "NSE",
        "SBIN",
        TransactionType::Buy,
        OrderType::Market,
        Product::Mis,
        5,
    ))
    .await
    .unwrap();
    let ltp = eventually("SBIN outside the app, with its live price", async || {
        let view = call(&client, addr, "account", json!({})).await;
        let row = view["positions"]
            .as_array()?
            .iter()
            .find(|r| r["position"]["tradingsymbol"] == "SBIN" && r["outside"] == 5)?
            .clone();
        row["ltp"].as_str().map(|l| Price::parse(l).unwrap())
    })
    .await;
    let stop = moved(ltp, -100);
    let trade = call(
        &client,
        addr,
        "account/adopt",
        json!({ "draft": {
            "exchange": "NSE", "tradingsymbol": "SBIN", "product": "intraday",
            "entry_price": "", "stop_loss": stop.to_string(), "target": "",
        }}),
    )
    .await;
    let standing = eventually("the stop order at Kite", async || {
        kite.orders()
            .await
            .unwrap()
            .into_iter()
            .find(|o| o.order_type == "SL-M" && o.status == "TRIGGER PENDING")
    })
    .await;
    assert_eq!(
        (standing.quantity, standing.trigger_price),
        (5, stop),
        "{standing:?}"
    );

    // SIGKILL: nothing of the app runs from here. The market falls through the stop; Kite's
    // stop order fills on its own.
    app.kill().await;
    let below = moved(stop, -20);
    assert!(sim.sim.set_last_price(SBIN, below));
    let filled = kite
        .orders()
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.order_id == standing.order_id)
        .unwrap();
    assert_eq!(filled.status, "COMPLETE", "{filled:?}");

    // Started again on its data directory: once the dead process's trading lease lapses, the
    // trade closes at Kite's fill price, once.
    let app = layout.start("app", &["serve"], addr).await;
    let (client, _) = browser_client(addr);
    admin_session(addr, &client).await;
    let closed = eventually("the trade closed by Kite's stop order", async || {
        let book = call(&client, addr, "trades", json!({})).await;
        let t = book["trades"]
            .as_array()?
            .iter()
            .find(|t| t["trade"]["id"] == trade["id"])?
            .clone();
        (t["trade"]["state"] == "closed").then_some(t["trade"].clone())
    })
    .await;
    assert_eq!(closed["exit_reason"], "stop_loss", "{closed}");
    assert_eq!(price(&closed["exit_price"]), filled.average_price);
    // Nothing of the app's own was sent meanwhile: the outside buy and the stop order only, and
    // the account flat.
    let orders = kite.orders().await.unwrap();
    assert_eq!(orders.len(), 2, "{orders:?}");
    let net: i64 = kite
        .positions()
        .await
        .unwrap()
        .net
        .iter()
        .filter(|p| p.tradingsymbol == "SBIN")
        .map(|p| p.quantity)
        .sum();
    assert_eq!(net, 0, "flat at Kite\n{}", app.log());
    stop_sim.cancel();
}
