//! The Kite login's HTTP side (`kite_connection` holds the rules): `GET /kite/connect` sends an
//! admin's browser to Kite's login page, `GET /kite/callback` is where Kite sends it back, and
//! `POST /kite/postback` takes Kite's order postbacks.

use std::collections::HashMap;
use std::sync::Arc;

use app::auth::CurrentUser;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::kite::connection::{KiteAccount, KiteFlowError};

/// Where the browser goes after the callback: the Settings page, saying how it went.
fn back_to_settings(outcome: Result<String, String>) -> Response {
    let query = match outcome {
        Ok(user) => form_urlencoded::Serializer::new(String::new())
            .append_pair("kite", "connected")
            .append_pair("kite_user", &user)
            .finish(),
        Err(message) => form_urlencoded::Serializer::new(String::new())
            .append_pair("kite_error", &message)
            .finish(),
    };
    Redirect::to(&format!("/settings?{query}")).into_response()
}

pub async fn connect(
    account: Arc<KiteAccount>,
    Extension(user): Extension<CurrentUser>,
) -> Response {
    // The guard let only an admin in; without a user there is nothing to tie the login to.
    let Some(user) = user.0 else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match account.begin(user.id) {
        Ok(login) => Redirect::to(&login).into_response(),
        Err(e) => back_to_settings(Err(e.to_string())),
    }
}

pub async fn callback(
    account: Arc<KiteAccount>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| query.get(k).map(String::as_str);
    match account
        .complete(get("status"), get("request_token"), get("state"))
        .await
    {
        Ok(session) => back_to_settings(Ok(session.user_id)),
        Err(e) => {
            tracing::warn!(error = %e, status = ?get("status"), "Kite login callback refused");
            back_to_settings(Err(e.to_string()))
        }
    }
}

pub async fn postback(account: Arc<KiteAccount>, body: Bytes) -> Response {
    match account.postback(&body).await {
        Ok(order) => {
            tracing::info!(order_id = %order.order_id, status = ?order.status, "Kite postback taken");
            // What Kite's own record says (read back), not what the postback claimed.
            (
                StatusCode::OK,
                format!(
                    "taken: order {} is {:?} at Kite",
                    order.order_id, order.status
                ),
            )
                .into_response()
        }
        Err(e @ KiteFlowError::ReplayedPostback) => {
            tracing::warn!(error = %e, "Kite postback refused");
            (StatusCode::CONFLICT, e.to_string()).into_response()
        }
        Err(e @ KiteFlowError::OrderUnreadable(_)) => {
            tracing::warn!(error = %e, "Kite postback not taken");
            (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response()
        }
        Err(e @ KiteFlowError::BadChecksum) => {
            tracing::warn!(error = %e, "Kite postback refused");
            (StatusCode::UNAUTHORIZED, e.to_string()).into_response()
        }
        Err(e @ (KiteFlowError::Store(_) | KiteFlowError::NoSecret)) => {
            tracing::error!(error = %e, "Kite postback could not be checked");
            (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "Kite postback refused");
            (StatusCode::BAD_REQUEST, e.to_string()).into_response()
        }
    }
}
