//! Security headers on every response. Pages get a Content-Security-Policy with the page's own
//! nonce (set while the shell renders, see `app::shell`); everything else gets one that allows
//! nothing. Framing is refused everywhere, referrers stay on the site, MIME types are not
//! sniffed, and over TLS browsers are told to use it from then on (HSTS).

use axum::body::Body;
use axum::http::{HeaderValue, Request, header};
use axum::middleware::Next;
use axum::response::Response;

/// For responses that are not pages (JSON, CSV, files): nothing may run or load from them.
const NON_PAGE_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// The service worker's own policy: it fetches and caches the app's pages and files.
const WORKER_CSP: &str = "default-src 'self'";

pub async fn security_headers(tls: bool, request: Request<Body>, next: Next) -> Response {
    let worker = request.uri().path() == "/sw.js";
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(if worker { WORKER_CSP } else { NON_PAGE_CSP }),
        );
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    if tls {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}
