//! `StoreError`: what every store port says when it cannot do what was asked. Services keep
//! its kind (a conflict is retried or reported as "changed meanwhile", a missing row is a 404,
//! an unavailable database is a 503) instead of a bare message.

use std::sync::Arc;

#[derive(Clone, Debug, thiserror::Error)]
pub enum StoreError {
    /// Someone else wrote first (a compare-and-set lost, a unique key taken).
    #[error("{what} was changed meanwhile; read it again and retry")]
    Conflict { what: String },
    #[error("{what} was not found")]
    NotFound { what: String },
    /// The store could not be reached or refused the statement; `source` says why.
    #[error("the database could not store or read {what}: {source}")]
    Unavailable {
        what: String,
        #[source]
        source: Arc<dyn std::error::Error + Send + Sync>,
        /// What is wrong and how to fix it, in words safe to show anyone (a full or read-only
        /// disk); `None` when the cause is only for the log.
        hint: Option<&'static str>,
    },
    /// A stored value that cannot be read back (a format from elsewhere, a damaged row).
    #[error("{what} holds data that cannot be read: {detail}")]
    Unreadable { what: String, detail: String },
}

impl StoreError {
    pub fn conflict(what: impl Into<String>) -> Self {
        StoreError::Conflict { what: what.into() }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        StoreError::NotFound { what: what.into() }
    }

    pub fn unavailable(
        what: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        StoreError::Unavailable {
            what: what.into(),
            source: Arc::new(source),
            hint: None,
        }
    }

    /// Unavailable, for a cause the person asking can act on: `hint` says what is wrong and
    /// how to fix it.
    pub fn unavailable_with_hint(
        what: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
        hint: &'static str,
    ) -> Self {
        StoreError::Unavailable {
            what: what.into(),
            source: Arc::new(source),
            hint: Some(hint),
        }
    }

    /// Unavailable, for a cause known only by its message (an in-memory test store, say).
    pub fn unavailable_because(what: impl Into<String>, reason: impl Into<String>) -> Self {
        StoreError::Unavailable {
            what: what.into(),
            source: Arc::new(Reason(reason.into())),
            hint: None,
        }
    }

    pub fn unreadable(what: impl Into<String>, detail: impl Into<String>) -> Self {
        StoreError::Unreadable {
            what: what.into(),
            detail: detail.into(),
        }
    }

    pub fn is_conflict(&self) -> bool {
        matches!(self, StoreError::Conflict { .. })
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, StoreError::NotFound { .. })
    }
}

impl PartialEq for StoreError {
    /// Same kind and same text (the source compared by its message).
    fn eq(&self, other: &Self) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
            && self.to_string() == other.to_string()
    }
}

impl Eq for StoreError {}

/// Services that still speak in messages take a store error as its text.
impl From<StoreError> for String {
    fn from(error: StoreError) -> String {
        error.to_string()
    }
}

#[derive(Debug)]
struct Reason(String);

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Reason {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_says_what_and_keeps_its_source() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let e = StoreError::unavailable("the order record", io);
        assert_eq!(
            e.to_string(),
            "the database could not store or read the order record: refused"
        );
        assert!(std::error::Error::source(&e).is_some());
        assert!(StoreError::conflict("the level").is_conflict());
        assert!(StoreError::not_found("level 7").is_not_found());
        assert_eq!(
            String::from(StoreError::not_found("level 7")),
            "level 7 was not found"
        );
        assert_ne!(StoreError::not_found("a"), StoreError::conflict("a"));
    }
}
