//! The bus between processes over TLS: a `rediss://` Redis (the test command starts one on
//! loopback, its certificate signed by a CA of its own) carries a change from one process to
//! another, and a certificate nobody vouched for stops start-up with the reason.

use std::path::PathBuf;
use std::time::Duration;

use osp_core::model::StateChange;
use osp_core::ports::ChangeNotifier;
use osp_server::bus::RedisBus;
use tokio_util::sync::CancellationToken;

fn tls_redis() -> (String, PathBuf) {
    let missing = |name: &str| {
        format!(
            "{name} is not set: run the README's test command (scripts/test.sh), which starts a \
             throwaway Redis with TLS on loopback"
        )
    };
    let url = std::env::var("OSP_TEST_REDISS_URL")
        .unwrap_or_else(|_| panic!("{}", missing("OSP_TEST_REDISS_URL")));
    let ca = std::env::var("OSP_TEST_REDIS_CA")
        .unwrap_or_else(|_| panic!("{}", missing("OSP_TEST_REDIS_CA")));
    (url, PathBuf::from(ca))
}

#[tokio::test]
async fn the_bus_speaks_tls_to_a_server_signed_by_the_configured_ca() {
    let (url, ca) = tls_redis();
    assert!(url.starts_with("rediss://"), "{url}");
    let stop = CancellationToken::new();
    let web = RedisBus::connect(&url, Some(&ca), "osp", stop.clone())
        .await
        .unwrap();
    let workers = RedisBus::connect(&url, Some(&ca), "osp", stop.clone())
        .await
        .unwrap();
    assert!(web.wait_connected(Duration::from_secs(5)).await);
    assert!(workers.wait_connected(Duration::from_secs(5)).await);

    let mut heard = workers.changes();
    web.changed(StateChange::Risk);
    let change = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match heard.recv().await {
                Ok(StateChange::Risk) => return StateChange::Risk,
                Ok(_) => continue,
                Err(e) => panic!("the change was not heard: {e}"),
            }
        }
    })
    .await
    .expect("the kill switch's change crosses the TLS bus within 5 s");
    assert_eq!(change, StateChange::Risk);
    assert!(web.figures().address.starts_with("rediss://"));

    // Without the CA, the server's certificate is one nobody the system trusts signed.
    let refused = match RedisBus::connect(&url, None, "osp", stop.clone()).await {
        Ok(_) => panic!("a certificate signed by an unknown CA was accepted"),
        Err(e) => format!("{e:#}"),
    };
    assert!(refused.contains("cannot reach Redis"), "{refused}");
    assert!(refused.to_lowercase().contains("certificate"), "{refused}");
    stop.cancel();
}
