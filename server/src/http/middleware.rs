//! Layers around every route: a request id (taken from `x-request-id` or made up), a tracing
//! span carrying it so every log line of the request shows it, and the id echoed back; and for
//! server functions, the HTTP status their error names (`api_error_status`); every request
//! counted and timed for `/metrics` (`metrics::track_http`).

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// The largest error body `api_error_status` reads.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// A server function whose arguments cannot be read answers before its body runs, with the
/// framework's 500 and our `bad_request` error: the status is set from the error's kind here,
/// so a client's mistake is a 4xx whichever step caught it.
async fn api_error_status(request: Request<Body>, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !is_api || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BODY).await else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the error could not be read",
        )
            .into_response();
    };
    let kind = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned));
    match kind.as_deref() {
        Some("bad_request" | "invalid") => parts.status = StatusCode::BAD_REQUEST,
        Some("not_found") => parts.status = StatusCode::NOT_FOUND,
        Some("unauthorized") => parts.status = StatusCode::UNAUTHORIZED,
        Some("forbidden") => parts.status = StatusCode::FORBIDDEN,
        Some("too_many_requests") => parts.status = StatusCode::TOO_MANY_REQUESTS,
        _ => {}
    }
    Response::from_parts(parts, Body::from(bytes))
}

pub fn apply(router: Router) -> Router {
    router
        .layer(axum::middleware::from_fn(api_error_status))
        // Outside the status rewrite, so a request is counted with the status it answered.
        .layer(axum::middleware::from_fn(crate::metrics::track_http))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(|request: &Request<_>| {
                            let request_id = request
                                .headers()
                                .get("x-request-id")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("-");
                            tracing::info_span!(
                                "request",
                                request_id = %request_id,
                                method = %request.method(),
                                path = %request.uri().path(),
                            )
                        })
                        .on_response(DefaultOnResponse::new().level(Level::INFO)),
                )
                .layer(PropagateRequestIdLayer::x_request_id()),
        )
}
