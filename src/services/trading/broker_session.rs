//! Whether the broker session still stands. The first broker answer that says the session is
//! gone (Kite's TokenException), or a disconnect, marks it expired; from then on the order
//! executor sends nothing — entries and exits alike are refused with the reason, before the
//! broker — and levels that cross stay armed, until a new login restores it. The status carries
//! it, so every page shows the banner to reconnect.

use std::sync::Mutex;

use crate::model::SessionExpiry;

#[derive(Debug, Default)]
pub struct BrokerSession {
    expired: Mutex<Option<SessionExpiry>>,
}

impl BrokerSession {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<SessionExpiry>> {
        self.expired.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Since when and why the session is gone, if it is.
    pub fn expired(&self) -> Option<SessionExpiry> {
        self.lock().clone()
    }

    pub fn is_expired(&self) -> bool {
        self.lock().is_some()
    }

    /// Marks it expired; `true` the first time (later reasons keep the first).
    pub fn mark_expired(&self, at_ms: i64, reason: &str) -> bool {
        let mut expired = self.lock();
        if expired.is_some() {
            return false;
        }
        *expired = Some(SessionExpiry {
            since_ms: at_ms,
            reason: reason.to_owned(),
        });
        true
    }

    /// A new login: `true` if it had expired.
    pub fn restore(&self) -> bool {
        self.lock().take().is_some()
    }

    /// Why an order is not sent now, if it is not.
    pub fn refusal(&self) -> Option<String> {
        self.expired().map(|e| {
            format!(
                "not sent: the Kite session has ended ({}); connect Kite again on the Settings page",
                e.reason
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_once_and_a_login_restores_it() {
        let session = BrokerSession::default();
        assert!(session.refusal().is_none());
        assert!(session.mark_expired(5, "TokenException: token expired"));
        assert!(!session.mark_expired(9, "later"));
        assert_eq!(session.expired().unwrap().since_ms, 5);
        assert!(session.refusal().unwrap().contains("token expired"));
        assert!(session.restore());
        assert!(!session.is_expired());
        assert!(!session.restore());
    }
}
