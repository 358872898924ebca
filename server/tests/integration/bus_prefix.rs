//! Two installations on one Redis (`bus.prefix`): each hears its own processes' announcements
//! and none of the other's.

use std::time::Duration;

use osp_core::model::StateChange;
use osp_core::ports::ChangeNotifier;
use osp_server::bus::RedisBus;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

fn redis_url() -> String {
    std::env::var("OSP_TEST_REDIS_URL").expect(
        "OSP_TEST_REDIS_URL is not set: run the README's test command (scripts/test.sh), \
         which starts a throwaway Redis on loopback",
    )
}

/// The next change heard within `wait`, if any.
async fn heard(
    changes: &mut broadcast::Receiver<StateChange>,
    wait: Duration,
) -> Option<StateChange> {
    tokio::time::timeout(wait, changes.recv()).await.ok()?.ok()
}

#[tokio::test]
async fn two_installations_share_one_redis_without_hearing_each_other() {
    let url = redis_url();
    let stop = CancellationToken::new();
    // Unique per run: other tests on the same Redis use the default prefix.
    let run = std::process::id();
    let (desk_a, desk_b) = (format!("desk-a-{run}"), format!("desk-b-{run}"));
    let connect = |prefix: String| {
        let (url, stop) = (url.clone(), stop.clone());
        async move {
            let bus = RedisBus::connect(&url, None, &prefix, stop).await.unwrap();
            assert!(bus.wait_connected(Duration::from_secs(5)).await);
            bus
        }
    };
    let web_a = connect(desk_a.clone()).await;
    let workers_a = connect(desk_a).await;
    let workers_b = connect(desk_b).await;
    let mut heard_a = workers_a.changes();
    let mut heard_b = workers_b.changes();

    // A's kill switch reaches A's workers, and not B's.
    web_a.changed(StateChange::Risk);
    assert_eq!(
        heard(&mut heard_a, Duration::from_secs(5)).await,
        Some(StateChange::Risk)
    );
    assert_eq!(heard(&mut heard_b, Duration::from_millis(500)).await, None);

    // B's own announcement reaches nobody on A.
    workers_b.changed(StateChange::Levels);
    assert_eq!(heard(&mut heard_a, Duration::from_millis(500)).await, None);
    assert!(workers_a.figures().received > 0);
    stop.cancel();
}
