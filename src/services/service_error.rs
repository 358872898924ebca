//! `ServiceError`: the one vocabulary every service's error is told in to whoever called it
//! from outside (the server functions and HTTP handlers): which kind of failure it is, and the
//! words for the user. Each service keeps its own error type, with the cases its tests match
//! on; beside each is its `From` into this one, so a new case is classified where it is made.
//! The web side maps this type once onto statuses.

use crate::model::FieldProblem;
use crate::ports::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A form with problems, one per field; nothing was stored.
    #[error("{}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldProblem>),
    /// A rule said no (a risk check, a trade that is not open, the broker's refusal); the
    /// message says what to change.
    #[error("{0}")]
    Refused(String),
    /// What was asked for is not there: the message names it (`that level (reload the page)`).
    #[error("{0} was not found")]
    NotFound(String),
    /// Who asks is not known, or not any more (a wrong password, a wrong code).
    #[error("{0}")]
    Unauthorized(String),
    /// Too many attempts: the message says how long to wait.
    #[error("{0}")]
    TooManyAttempts(String),
    /// The broker cannot serve it now; nothing was changed there.
    #[error("{0}")]
    Unavailable(String),
    /// A store port failed, its kind kept (a conflict, a missing row, the database away).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A fault of this app's: logged with a reference, never shown as it is.
    #[error("{0}")]
    Fault(String),
}

impl ServiceError {
    /// A fault, from anything that says what went wrong.
    pub fn fault(cause: impl std::fmt::Display) -> Self {
        ServiceError::Fault(cause.to_string())
    }
}

/// Form problems by the row they are on (an import), each named with its row.
pub fn by_row(problems: Vec<(usize, FieldProblem)>) -> Vec<FieldProblem> {
    problems
        .into_iter()
        .map(|(row, p)| FieldProblem {
            field: format!("row {row}: {}", p.field),
            message: format!("row {row}: {}", p.message),
        })
        .collect()
}
