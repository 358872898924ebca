//! Activity pushed to browsers: one task per web process reads the activity feed (triggers,
//! fills, rejections, closed trades, alert firings here and at Kite) twice a second and
//! broadcasts what is new to every open price stream, which sends it on as an `activity`
//! message — so a toast appears within about half a second, with one read per process
//! instead of one per browser. The feed is read from the database, so firings recorded by a
//! worker in another process arrive the same way. While no browser is connected it reads
//! only every 5 s, to keep its place: a browser that connects gets what happened from a few
//! seconds before, never a backlog and never a gap. When the workers run in other processes,
//! their announcements on the bus (`StateChange::Activity`) wake it at once, and it reads on
//! its own only every 2 s, in case one was lost.

use std::sync::Arc;
use std::time::Duration;

use osp_core::model::StateChange;
use osp_core::services::activity::{Activity, ActivityItem};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::workers::changes::next_change;

const EVERY: Duration = Duration::from_millis(500);
/// How often it reads anyway when the bus wakes it.
const WOKEN_EVERY: Duration = Duration::from_secs(2);
/// How often the feed is read while no browser listens.
const IDLE_EVERY: Duration = Duration::from_secs(5);
/// Batches a slow client may fall behind by before it skips some (the notification centre
/// still lists them).
const CAPACITY: usize = 64;

pub type ActivityBatch = Arc<Vec<ActivityItem>>;

#[derive(Clone)]
pub struct ActivityPush {
    sender: broadcast::Sender<ActivityBatch>,
}

impl ActivityPush {
    /// Starts the reading task; it ends with `shutdown`. `woken`: the bus's announcements,
    /// when the workers run elsewhere.
    pub fn start(
        activity: Arc<Activity>,
        mut woken: Option<broadcast::Receiver<StateChange>>,
        shutdown: CancellationToken,
    ) -> (Self, JoinHandle<()>) {
        let (sender, _) = broadcast::channel(CAPACITY);
        let push = ActivityPush {
            sender: sender.clone(),
        };
        let task = tokio::spawn(async move {
            let mut since: Option<i64> = None;
            let mut tick = tokio::time::interval(if woken.is_some() { WOKEN_EVERY } else { EVERY });
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut last_read = tokio::time::Instant::now();
            loop {
                let now = tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tick.tick() => false,
                    change = next_change(&mut woken) => {
                        change.is_none_or(|what| what == StateChange::Activity)
                    }
                };
                let idle = sender.receiver_count() == 0;
                if !now && idle && since.is_some() && last_read.elapsed() < IDLE_EVERY {
                    continue;
                }
                last_read = tokio::time::Instant::now();
                match activity.since(since).await {
                    Ok(feed) => {
                        since = Some(feed.next_since);
                        if !idle && !feed.items.is_empty() {
                            let _ = sender.send(Arc::new(feed.items));
                        }
                    }
                    // The next read catches up from the same moment.
                    Err(e) => tracing::warn!(error = %e, "reading the activity feed"),
                }
            }
        });
        (push, task)
    }

    /// A push that never sends (benchmarks of the price path alone).
    pub fn silent() -> Self {
        ActivityPush {
            sender: broadcast::channel(1).0,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ActivityBatch> {
        self.sender.subscribe()
    }
}
