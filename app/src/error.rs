//! `AppError`: the one error type that crosses the wire, from server functions and HTTP
//! handlers alike. It carries a message meant for the user; the internal cause is logged on the
//! server with a reference the user can quote, and never sent.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// What is wrong with one field of a form: the core's one type, shown beside the field.
pub use osp_core::model::FieldProblem;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum AppError {
    /// The request is wrong; the message says what to change.
    #[error("{0}")]
    BadRequest(String),
    /// A form with problems, one per field; nothing was stored.
    #[error("{}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldProblem>),
    #[error("{0} was not found")]
    NotFound(String),
    /// Someone else changed it first: read it again and retry.
    #[error("{0}")]
    Conflict(String),
    /// Not signed in, or the session ended: sign in (again).
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but the role does not allow it.
    #[error("{0}")]
    Forbidden(String),
    /// Too many attempts (sign-in): wait, as the message says.
    #[error("{0}")]
    TooManyRequests(String),
    /// A dependency (database, broker, feed) cannot serve the request right now.
    #[error("{0}; try again shortly")]
    Unavailable(String),
    /// A fault on the server. Details are in the server log under `reference`.
    #[error("something went wrong on the server (reference {reference}); it has been logged")]
    Internal { reference: String },
    /// The request did not reach the server, or its answer could not be read.
    #[error("could not talk to the server: {0}")]
    Transport(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(msg) => AppError::BadRequest(format!("invalid input: {msg}")),
            ServerFnErrorErr::MissingArg(msg) => {
                AppError::BadRequest(format!("missing input: {msg}"))
            }
            // On the server, what cannot be read is the request (a JSON body of the wrong
            // shape): the caller's to fix. In the browser it is the answer: a transport fault.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(msg) => {
                AppError::BadRequest(format!("unreadable input: {msg}"))
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
pub use server::with_status;

#[cfg(feature = "ssr")]
mod server {
    use super::AppError;
    use axum::Json;
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};
    use osp_core::ports::StoreError;
    use osp_core::services::service_error::ServiceError;
    use std::sync::atomic::{AtomicU64, Ordering};

    static NEXT_REFERENCE: AtomicU64 = AtomicU64::new(1);

    /// The one mapping of the services' errors onto the wire. A store error: not found → 404,
    /// a conflict → 409, an unavailable database → 503 (its cause logged, never sent), an
    /// unreadable row → an internal error with a reference. A fault → an internal error with
    /// a reference (logged, never sent).
    impl From<ServiceError> for AppError {
        fn from(e: ServiceError) -> Self {
            match e {
                ServiceError::Invalid(problems) => AppError::Invalid(problems),
                ServiceError::Refused(message) => AppError::BadRequest(message),
                ServiceError::NotFound(what) => AppError::NotFound(what),
                ServiceError::Unauthorized(message) => AppError::Unauthorized(message),
                ServiceError::TooManyAttempts(message) => AppError::TooManyRequests(message),
                ServiceError::Unavailable(message) => AppError::Unavailable(message),
                ServiceError::Store(e) => match e {
                    StoreError::NotFound { what } => AppError::NotFound(what),
                    conflict @ StoreError::Conflict { .. } => {
                        AppError::Conflict(conflict.to_string())
                    }
                    StoreError::Unavailable { ref what, hint, .. } => {
                        tracing::error!(cause = ?e, "the database is unavailable");
                        AppError::Unavailable(match hint {
                            Some(hint) => format!("{what} was not stored: {hint}"),
                            None => format!("{what} cannot be read or stored right now"),
                        })
                    }
                    unreadable @ StoreError::Unreadable { .. } => AppError::internal(unreadable),
                },
                ServiceError::Fault(cause) => AppError::internal(cause),
            }
        }
    }

    /// Each service's own error reaches the wire through `ServiceError`, so `?` works on it in
    /// a server function.
    macro_rules! through_service_error {
        ($($error:ty),* $(,)?) => {$(
            impl From<$error> for AppError {
                fn from(e: $error) -> Self {
                    ServiceError::from(e).into()
                }
            }
        )*};
    }

    through_service_error!(
        StoreError,
        osp_core::services::watchlists::WatchlistError,
        osp_core::services::alerts::AlertError,
        osp_core::services::alerts::BrokerAlertError,
        osp_core::services::trading::LevelError,
        osp_core::services::trading::TradeError,
        osp_core::services::trading::RiskError,
        osp_core::services::trading::OrderDeskError,
        osp_core::services::trading::PaperError,
        osp_core::services::trading::ExecError,
        osp_core::services::accounts::AccountError,
    );

    impl AppError {
        /// Logs `cause` with its whole chain and returns the opaque error the user sees.
        pub fn internal(cause: impl std::fmt::Debug) -> AppError {
            let n = NEXT_REFERENCE.fetch_add(1, Ordering::Relaxed);
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default();
            let reference = format!("E{now:x}-{n}");
            tracing::error!(%reference, cause = ?cause, "internal error");
            AppError::Internal { reference }
        }

        pub fn status_code(&self) -> StatusCode {
            match self {
                AppError::BadRequest(_) | AppError::Invalid(_) => StatusCode::BAD_REQUEST,
                AppError::NotFound(_) => StatusCode::NOT_FOUND,
                AppError::Conflict(_) => StatusCode::CONFLICT,
                AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
                AppError::Forbidden(_) => StatusCode::FORBIDDEN,
                AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
                AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                AppError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
                AppError::Transport(_) => StatusCode::BAD_GATEWAY,
            }
        }
    }

    /// A server function's result, with the response status set to match its error (server
    /// functions otherwise answer every error with 500, hiding a 400 or 404 from clients).
    /// A refusal by role sets it only when the function was called over HTTP: a page rendering
    /// on the server calls its server functions directly, and a viewer's refused admin card
    /// must not make the whole page a 403.
    pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
        let rendering = leptos::prelude::use_context::<axum::http::request::Parts>()
            .is_some_and(|parts| !parts.uri.path().starts_with("/api/"));
        if let Err(e) = &result
            && !(rendering && matches!(e, AppError::Forbidden(_) | AppError::Unauthorized(_)))
            && let Some(options) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
        {
            options.set_status(e.status_code());
        }
        result
    }

    /// HTTP handlers answer with `{"error": {...}, "message": "..."}` and a matching status.
    impl IntoResponse for AppError {
        fn into_response(self) -> Response {
            let body = serde_json::json!({ "error": &self, "message": self.to_string() });
            (self.status_code(), Json(body)).into_response()
        }
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::AppError;
    use axum::response::IntoResponse;

    #[test]
    fn an_internal_error_sends_a_reference_never_the_cause() {
        let cause = std::io::Error::other("disk /var/secret-path is full");
        let error = AppError::internal(cause);
        let AppError::Internal { reference } = &error else {
            panic!("internal() makes an Internal error")
        };
        let text = error.to_string();
        assert!(text.contains(reference.as_str()));
        assert!(!text.contains("secret-path"), "{text}");
        let wire = serde_json::to_string(&error).unwrap();
        assert!(!wire.contains("secret-path"), "{wire}");
        assert_eq!(error.clone().into_response().status(), 500);
        // Each occurrence gets its own reference.
        let AppError::Internal { reference: second } = AppError::internal("again") else {
            unreachable!()
        };
        assert_ne!(reference, &second);
    }

    #[test]
    fn user_facing_errors_keep_their_message_and_status() {
        let e = AppError::BadRequest("quantity must be a multiple of the lot size (75)".into());
        assert_eq!(
            e.to_string(),
            "quantity must be a multiple of the lot size (75)"
        );
        assert_eq!(e.into_response().status(), 400);
        assert_eq!(
            AppError::Unavailable("the database".into())
                .into_response()
                .status(),
            503
        );
    }

    #[test]
    fn a_store_error_maps_to_its_status_and_never_sends_its_cause() {
        use osp_core::ports::StoreError;
        let gone = std::io::Error::other("connection to 10.0.0.7:5432 refused");
        let unavailable = AppError::from(StoreError::unavailable("the level", gone));
        let wire = serde_json::to_string(&unavailable).unwrap();
        assert!(!wire.contains("10.0.0.7"), "{wire}");
        assert_eq!(unavailable.into_response().status(), 503);
        let conflict = AppError::from(StoreError::conflict("the watchlist"));
        assert!(conflict.to_string().contains("changed meanwhile"));
        assert_eq!(conflict.into_response().status(), 409);
        let missing = AppError::from(StoreError::not_found("level 7"));
        assert_eq!(missing.to_string(), "level 7 was not found");
        assert_eq!(missing.into_response().status(), 404);
        let unreadable = AppError::from(StoreError::unreadable("level 7", "bad JSON"));
        assert!(matches!(unreadable, AppError::Internal { .. }));
    }

    #[test]
    fn each_service_error_reaches_the_wire_through_the_one_vocabulary() {
        use osp_core::model::FieldProblem;
        use osp_core::ports::StoreError;
        use osp_core::services::accounts::AccountError;
        use osp_core::services::alerts::BrokerAlertError;
        use osp_core::services::trading::{LevelError, PaperError, TradeError};
        let status = |e: AppError| e.status_code().as_u16();
        let not_open = TradeError::NotOpen {
            id: 7,
            state: "closed",
        };
        assert_eq!(status(not_open.into()), 400);
        assert_eq!(status(TradeError::NotFound(7).into()), 404);
        assert_eq!(status(AccountError::Throttled { wait_s: 30 }.into()), 429);
        assert_eq!(status(AccountError::WrongCode.into()), 401);
        assert_eq!(
            status(BrokerAlertError::BrokerUnavailable("Kite: 503".into()).into()),
            503
        );
        assert_eq!(status(BrokerAlertError::NotSuspended.into()), 404);
        // A store error inside a service keeps its kind: a lost compare-and-set is a 409.
        let changed = PaperError::Store(StoreError::conflict("the paper account"));
        assert_eq!(status(changed.into()), 409);
        // An import's problems name their rows.
        let rows = LevelError::InvalidRows(vec![(3, FieldProblem::new("price", "not a price"))]);
        let AppError::Invalid(problems) = AppError::from(rows) else {
            panic!("an import's problems are a form's")
        };
        assert_eq!(problems[0].field, "row 3: price");
        assert_eq!(problems[0].message, "row 3: not a price");
        // A fault is told by its reference only.
        let failed = AppError::from(TradeError::Failed("disk /secret full".into()));
        assert_eq!(status(failed.clone()), 500);
        assert!(!failed.to_string().contains("secret"), "{failed}");
    }
}
