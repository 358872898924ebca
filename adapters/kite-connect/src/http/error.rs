//! `KiteError`: everything that can go wrong talking to Kite, classed by what a caller may do
//! about it. Kite's own `error_type` is kept; whether a retry is safe is decided here, once,
//! so no call site guesses. Messages never contain credentials: reqwest errors are stripped of
//! their URL (which can carry an access token) before they are kept.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Kite's `error_type` values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorType {
    TokenException,
    UserException,
    OrderException,
    InputException,
    MarginException,
    HoldingException,
    NetworkException,
    DataException,
    GeneralException,
    PermissionException,
    #[serde(untagged)]
    Other(String),
}

impl ErrorType {
    pub fn as_str(&self) -> &str {
        match self {
            ErrorType::TokenException => "TokenException",
            ErrorType::UserException => "UserException",
            ErrorType::OrderException => "OrderException",
            ErrorType::InputException => "InputException",
            ErrorType::MarginException => "MarginException",
            ErrorType::HoldingException => "HoldingException",
            ErrorType::NetworkException => "NetworkException",
            ErrorType::DataException => "DataException",
            ErrorType::GeneralException => "GeneralException",
            ErrorType::PermissionException => "PermissionException",
            ErrorType::Other(s) => s,
        }
    }

    /// The error type Kite uses for an HTTP status when a body does not say.
    pub fn for_status(status: u16) -> ErrorType {
        match status {
            400 => ErrorType::InputException,
            403 => ErrorType::TokenException,
            429 | 502..=504 => ErrorType::NetworkException,
            _ => ErrorType::GeneralException,
        }
    }
}

impl fmt::Display for ErrorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a caller may do after an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Nothing reached Kite, or Kite refused before acting (429): repeat freely.
    Safe,
    /// The request may have taken effect: repeat reads, never an order placement.
    OnlyIfIdempotent,
    /// Repeating cannot help (bad input, rejected order, open breaker).
    Never,
    /// The session is gone: the user must log in again before anything works.
    Reauthenticate,
}

impl Retry {
    pub fn allows(self, idempotent: bool) -> bool {
        match self {
            Retry::Safe => true,
            Retry::OnlyIfIdempotent => idempotent,
            Retry::Never | Retry::Reauthenticate => false,
        }
    }
}

#[derive(Clone, Debug, thiserror::Error)]
pub enum KiteError {
    /// Kite answered with an error envelope (or an error status).
    #[error("Kite refused the request ({error_type}, HTTP {status}): {message}")]
    Api {
        status: u16,
        error_type: ErrorType,
        message: String,
    },
    #[error("could not reach Kite at {endpoint}: {reason}")]
    Connect { endpoint: String, reason: String },
    #[error("Kite did not answer within {} ms", after.as_millis())]
    Timeout { after: Duration },
    #[error("the connection to Kite broke during the request: {0}")]
    Transport(String),
    /// A 2xx answer that is not what Kite sends: damaged on the way (a proxy's page, a body
    /// cut off), or — if it persists — Kite's API has changed.
    #[error(
        "Kite's answer could not be read ({0}): it was damaged on the way, or, if this keeps \
         happening, Kite's API has changed"
    )]
    Decode(String),
    #[error(
        "Kite is failing repeatedly, so requests are paused for {} s (circuit breaker open)",
        retry_in.as_secs().max(1)
    )]
    CircuitOpen { retry_in: Duration },
    #[error("{limit} reached on this side, before Kite would refuse it; try again later")]
    LocalRateLimit { limit: &'static str },
    #[error("not logged in to Kite: connect your Kite account first")]
    NotLoggedIn,
    #[error("an API secret is needed to {0}; set kite.api_secret")]
    MissingSecret(&'static str),
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// An order placement whose outcome could not be established: it may or may not be live.
    #[error(
        "the order tagged '{tag}' may or may not have been placed ({reason}); check the order book before placing it again"
    )]
    PlacementUncertain { tag: String, reason: String },
}

impl KiteError {
    pub fn retry(&self) -> Retry {
        match self {
            KiteError::Api {
                status, error_type, ..
            } => match (status, error_type) {
                (429, _) => Retry::Safe,
                (_, ErrorType::TokenException) | (403, _) => Retry::Reauthenticate,
                (500..=599, _) | (_, ErrorType::NetworkException) => Retry::OnlyIfIdempotent,
                _ => Retry::Never,
            },
            KiteError::Connect { .. } => Retry::Safe,
            // The request reached Kite and may have acted: a read is asked again, a placement
            // is looked up by its tag instead.
            KiteError::Timeout { .. } | KiteError::Transport(_) | KiteError::Decode(_) => {
                Retry::OnlyIfIdempotent
            }
            KiteError::NotLoggedIn => Retry::Reauthenticate,
            KiteError::CircuitOpen { .. }
            | KiteError::LocalRateLimit { .. }
            | KiteError::MissingSecret(_)
            | KiteError::InvalidRequest(_)
            | KiteError::PlacementUncertain { .. } => Retry::Never,
        }
    }

    /// Kite's `error_type`, when Kite gave one.
    pub fn error_type(&self) -> Option<&ErrorType> {
        match self {
            KiteError::Api { error_type, .. } => Some(error_type),
            _ => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            KiteError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether this failure says Kite (or the path to it) is unwell, as opposed to our request
    /// being wrong: what the circuit breaker counts.
    pub fn is_upstream_failure(&self) -> bool {
        match self {
            KiteError::Api { status, .. } => *status >= 500,
            KiteError::Connect { .. } | KiteError::Timeout { .. } | KiteError::Transport(_) => true,
            _ => false,
        }
    }

    /// From a reqwest failure. The URL is dropped first: it can carry an access token.
    pub(crate) fn from_reqwest(error: reqwest::Error, endpoint: &str, timeout: Duration) -> Self {
        let error = error.without_url();
        if error.is_timeout() {
            KiteError::Timeout { after: timeout }
        } else if error.is_connect() {
            KiteError::Connect {
                endpoint: endpoint.to_owned(),
                reason: root_cause(&error),
            }
        } else if error.is_decode() {
            KiteError::Decode(root_cause(&error))
        } else {
            KiteError::Transport(root_cause(&error))
        }
    }
}

fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, error_type: ErrorType) -> KiteError {
        KiteError::Api {
            status,
            error_type,
            message: "m".into(),
        }
    }

    #[test]
    fn retry_safety_follows_status_and_error_type() {
        assert_eq!(api(429, ErrorType::NetworkException).retry(), Retry::Safe);
        assert_eq!(
            api(403, ErrorType::TokenException).retry(),
            Retry::Reauthenticate
        );
        assert_eq!(api(400, ErrorType::InputException).retry(), Retry::Never);
        assert_eq!(api(400, ErrorType::OrderException).retry(), Retry::Never);
        assert_eq!(api(400, ErrorType::MarginException).retry(), Retry::Never);
        assert_eq!(
            api(503, ErrorType::NetworkException).retry(),
            Retry::OnlyIfIdempotent
        );
        assert!(!Retry::OnlyIfIdempotent.allows(false));
        assert!(Retry::OnlyIfIdempotent.allows(true));
        assert!(Retry::Safe.allows(false));
        assert!(
            KiteError::Timeout {
                after: Duration::from_secs(7)
            }
            .to_string()
            .contains("7000 ms")
        );
    }

    #[test]
    fn unknown_error_types_are_kept_verbatim() {
        let t: ErrorType = serde_json::from_str("\"FancyNewException\"").unwrap();
        assert_eq!(t, ErrorType::Other("FancyNewException".into()));
        let t: ErrorType = serde_json::from_str("\"MarginException\"").unwrap();
        assert_eq!(t, ErrorType::MarginException);
    }
}
