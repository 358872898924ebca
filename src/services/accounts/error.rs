//! `AccountError`: every refusal of the account service, each saying what to do instead, and
//! how the outside is told of it.

use crate::model::FieldProblem;
use crate::ports::StoreError;
use crate::services::service_error::ServiceError;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AccountError {
    /// Problems per field (`username`, `password`, `role`); nothing was stored.
    #[error("{}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldProblem>),
    /// Deliberately the same for an unknown user and a wrong password.
    #[error("the username or the password is wrong")]
    WrongCredentials,
    /// The same for every username typed, known or not, so it tells nobody which exist; the
    /// right password is not held back longer than the wait, and not at all from a browser
    /// the account signed in from before.
    #[error(
        "too many sign-in attempts for this username; try again in {wait_s} s (a browser you signed in from before is not held back)"
    )]
    Throttled { wait_s: u64 },
    #[error("this account is disabled; ask an admin to enable it")]
    Disabled,
    #[error(
        "this account signs in with a code too: enter the 6-digit code from your authenticator app"
    )]
    CodeNeeded,
    #[error("the authenticator code is wrong, expired or used already; enter the current one")]
    WrongCode,
    #[error("the first admin exists already; sign in instead")]
    SetupDone,
    #[error("the username {0} is taken; pick another")]
    Taken(String),
    #[error("that user was not found (reload the page)")]
    NotFound,
    #[error("{0}")]
    Refused(String),
    #[error("the user store failed: {0}")]
    Unavailable(String),
    /// A store port failed (conflict, not found, unavailable), its kind kept.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How the outside is told of it.
impl From<AccountError> for ServiceError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Invalid(problems) => ServiceError::Invalid(problems),
            wrong @ (AccountError::WrongCredentials
            | AccountError::Disabled
            | AccountError::CodeNeeded
            | AccountError::WrongCode) => ServiceError::Unauthorized(wrong.to_string()),
            throttled @ AccountError::Throttled { .. } => {
                ServiceError::TooManyAttempts(throttled.to_string())
            }
            refused @ (AccountError::SetupDone
            | AccountError::Taken(_)
            | AccountError::Refused(_)) => ServiceError::Refused(refused.to_string()),
            AccountError::NotFound => {
                ServiceError::NotFound("that user (reload the page)".to_owned())
            }
            unavailable @ AccountError::Unavailable(_) => ServiceError::fault(unavailable),
            AccountError::Store(e) => ServiceError::Store(e),
        }
    }
}
