//! The notification centre: the newest activity (triggers, fills, rejections, closed trades,
//! alerts here and at Kite), and how much of it each user has not read yet. Reading is a mark
//! per user ("read up to here"), kept in the store, so every device agrees.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Activity, ActivityItem};
use crate::model::UserId;
use crate::ports::{Clock, NotificationReads};

/// How many items the centre lists.
pub const CENTRE_SIZE: usize = 50;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationCentreView {
    /// Newest first.
    pub items: Vec<ActivityItem>,
    /// How many of them are newer than the user's mark.
    pub unread: usize,
    /// The user's mark (`None`: never read; everything listed is unread).
    pub read_until_ms: Option<i64>,
}

pub struct NotificationCentre {
    activity: Arc<Activity>,
    reads: Arc<dyn NotificationReads>,
    clock: Arc<dyn Clock>,
}

impl NotificationCentre {
    pub fn new(
        activity: Arc<Activity>,
        reads: Arc<dyn NotificationReads>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            activity,
            reads,
            clock,
        }
    }

    pub async fn view(&self, user: UserId) -> Result<NotificationCentreView, String> {
        let items = self.activity.recent(CENTRE_SIZE).await?;
        let read_until_ms = self.reads.read_until(user).await?;
        let unread = items
            .iter()
            .filter(|i| read_until_ms.is_none_or(|mark| i.at_ms > mark))
            .count();
        Ok(NotificationCentreView {
            items,
            unread,
            read_until_ms,
        })
    }

    /// Marks everything up to `until_ms` read (the newest item the user saw; not later than
    /// now, so what happens next is still unread).
    pub async fn mark_read(
        &self,
        user: UserId,
        until_ms: i64,
    ) -> Result<NotificationCentreView, String> {
        let until = until_ms.min(self.clock.now_ms());
        self.reads.mark_read(user, until).await?;
        self.view(user).await
    }
}
