//! `Announcer`: where a service announces what it changed to the other server processes (the
//! `ChangeNotifier` port), or nowhere — one process alone keeps everything in memory itself.

use std::sync::Arc;

use crate::model::StateChange;
use crate::ports::ChangeNotifier;

#[derive(Clone, Default)]
pub struct Announcer(Option<Arc<dyn ChangeNotifier>>);

impl Announcer {
    pub fn to(notifier: Arc<dyn ChangeNotifier>) -> Self {
        Self(Some(notifier))
    }

    /// `Some` announces to it, `None` nowhere.
    pub fn maybe(notifier: Option<Arc<dyn ChangeNotifier>>) -> Self {
        Self(notifier)
    }

    pub fn tell(&self, what: StateChange) {
        if let Some(notifier) = &self.0 {
            notifier.changed(what);
        }
    }

    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }
}
