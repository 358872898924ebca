//! Activity pushed to browsers: one task per web process reads the activity feed (triggers,
//! fills, rejections, closed trades, alert firings here and at Kite) twice a second and
//! broadcasts what is new to every open price stream, which sends it on as an `activity`
//! message — so a toast appears within about half a second, with one read per process
//! instead of one per browser. The feed is read from the database, so firings recorded by a
//! worker in another process arrive the same way. While no browser is connected it reads
//! only every 5 s, to keep its place: a browser that connects gets what happened from a few
//! seconds before, never a backlog and never a gap.

use std::sync::Arc;
use std::time::Duration;

use osp_core::services::trading::{Activity, ActivityItem};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const EVERY: Duration = Duration::from_millis(500);
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
    /// Starts the reading task; it ends with `shutdown`.
    pub fn start(activity: Arc<Activity>, shutdown: CancellationToken) -> (Self, JoinHandle<()>) {
        let (sender, _) = broadcast::channel(CAPACITY);
        let push = ActivityPush {
            sender: sender.clone(),
        };
        let task = tokio::spawn(async move {
            let mut since: Option<i64> = None;
            let mut tick = tokio::time::interval(EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut last_read = tokio::time::Instant::now();
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tick.tick() => {}
                }
                let idle = sender.receiver_count() == 0;
                if idle && since.is_some() && last_read.elapsed() < IDLE_EVERY {
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
