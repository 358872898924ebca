//! Kite's envelopes from the simulator: `{"status":"success","data":…}` and
//! `{"status":"error","message":…,"error_type":…,"data":null}` with Kite's HTTP statuses.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use super::super::auth::AuthError;
use super::super::broker::BrokerError;

pub fn ok<T: Serialize>(data: T) -> Response {
    Json(json!({"status": "success", "data": data})).into_response()
}

#[derive(Debug)]
pub struct SimError {
    pub status: StatusCode,
    pub error_type: &'static str,
    pub message: String,
}

impl SimError {
    pub fn input(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error_type: "InputException",
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            error_type: "GeneralException",
            message: message.into(),
        }
    }

    pub fn token(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            error_type: "TokenException",
            message: message.into(),
        }
    }
}

impl IntoResponse for SimError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({
                "status": "error",
                "message": self.message,
                "error_type": self.error_type,
                "data": null,
            })),
        )
            .into_response()
    }
}

impl From<AuthError> for SimError {
    fn from(e: AuthError) -> Self {
        SimError::token(e.message())
    }
}

impl From<BrokerError> for SimError {
    fn from(e: BrokerError) -> Self {
        let (error_type, message) = match e {
            BrokerError::Input(m) => ("InputException", m),
            BrokerError::Order(m) => ("OrderException", m),
            BrokerError::Margin(m) => ("MarginException", m),
        };
        SimError {
            status: StatusCode::BAD_REQUEST,
            error_type,
            message,
        }
    }
}

pub type SimResult = Result<Response, SimError>;
