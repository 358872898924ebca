//! The bus between processes on one Redis: two installations (`bus.prefix`) each hear their
//! own processes and none of the other's; an order update a web process took from a Kite
//! postback reaches the workers' engine.

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

/// A web process has no engine: the order update it took from Kite's postback (checked and
/// read back from Kite) goes to the workers' process, into the channel its trading engine
/// reads the ticker's order updates from.
#[tokio::test]
async fn a_postback_taken_by_a_web_process_reaches_the_workers_engine() {
    use osp_core::model::{BrokerOrder, OrderStatus, OrderTag, Price};
    let url = redis_url();
    let stop = CancellationToken::new();
    let prefix = format!("orders-{}", std::process::id());
    let web = RedisBus::connect(&url, None, &prefix, stop.clone())
        .await
        .unwrap();
    let workers = RedisBus::connect(&url, None, &prefix, stop.clone())
        .await
        .unwrap();
    assert!(web.wait_connected(Duration::from_secs(5)).await);
    assert!(workers.wait_connected(Duration::from_secs(5)).await);

    let (postbacks, _) = broadcast::channel::<BrokerOrder>(16);
    let (engine_updates, mut engine) = broadcast::channel::<BrokerOrder>(16);
    web.relay_orders(postbacks.subscribe(), stop.clone());
    workers.spawn_order_source(engine_updates, stop.clone());
    // The web process's own updates are not read back as if from elsewhere.
    let (own, mut own_heard) = broadcast::channel::<BrokerOrder>(16);
    web.spawn_order_source(own, stop.clone());

    let filled = BrokerOrder {
        order_id: "151220000000000".to_owned(),
        tag: Some(OrderTag::parse("o19a2b3c4d5e6f7a8b9c").unwrap()),
        status: OrderStatus::Complete,
        quantity: 2,
        kind: None,
        filled_quantity: 2,
        average_price: Some(Price::parse("1877.10").unwrap()),
        status_message: None,
    };
    postbacks.send(filled.clone()).unwrap();
    let heard = tokio::time::timeout(Duration::from_secs(5), engine.recv())
        .await
        .expect("the update crossed the bus within 5 s")
        .unwrap();
    assert_eq!(heard, filled);
    assert!(
        tokio::time::timeout(Duration::from_millis(300), own_heard.recv())
            .await
            .is_err(),
        "a process does not hear its own relay"
    );
    stop.cancel();
}
