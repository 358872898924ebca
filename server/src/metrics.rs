//! Prometheus metrics: one process-wide recorder (the `metrics` facade with
//! `metrics-exporter-prometheus`), the HTTP layer that counts requests by route and status with
//! a latency histogram, and `/metrics` served on its own listener (`metrics.addr`, loopback by
//! default) — never on the public port. Other modules record with the `metrics` macros under
//! the `osp_` prefix; what each name means is listed in the README.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, State};
use axum::http::{Method, Request, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio_util::sync::CancellationToken;

use crate::database::Database;

/// Latency buckets in seconds: sub-millisecond steps for the hot path up to slow pages.
const SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The process's recorder, installed on first use (every server in the process shares it).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), SECONDS_BUCKETS)
            .and_then(|b| b.install_recorder())
            .unwrap_or_else(|e| {
                // Only another recorder installed first can cause this: record into a handle
                // nobody else uses rather than lose the server.
                tracing::error!(error = %e, "the metrics recorder could not be installed");
                PrometheusBuilder::new().build_recorder().handle()
            })
    })
}

/// The method as a label: one of HTTP's own, or `OTHER` for anything a client made up (each
/// distinct label is a series kept for the life of the process, so a label a client chooses
/// would let anyone grow the metrics without bound).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

/// Counts every request by its route (the pattern, never the raw path, so ids do not make new
/// series), method (from a fixed set) and status, and times it.
pub async fn track_http(request: Request<Body>, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(
        "osp_http_requests_total",
        "route" => route.clone(), "method" => method, "status" => status
    )
    .increment(1);
    metrics::histogram!("osp_http_request_duration_seconds", "route" => route, "method" => method)
        .record(started.elapsed().as_secs_f64());
    response
}

async fn render(State(database): State<Database>) -> Response {
    let (size, idle) = database.pool_usage();
    metrics::gauge!("osp_db_pool_connections").set(f64::from(size));
    metrics::gauge!("osp_db_pool_idle_connections").set(idle as f64);
    // Tasks alive in the process's runtime: a count that climbs with no more work is a leak
    // (the soak in tests/integration/soak.rs reads it before and after its clients).
    let tasks = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    metrics::gauge!("osp_runtime_alive_tasks").set(tasks as f64);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle().render(),
    )
        .into_response()
}

/// Serves `GET /metrics` on `listener` until `shutdown`, and drains the histograms' samples
/// every few seconds so they never grow without a scrape.
pub async fn serve(
    listener: tokio::net::TcpListener,
    database: Database,
    shutdown: CancellationToken,
) {
    let upkeep = tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            let mut every = tokio::time::interval(Duration::from_secs(5));
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = every.tick() => handle().run_upkeep(),
                }
            }
        }
    });
    let router = Router::new()
        .route("/metrics", get(render))
        .with_state(database);
    if let Err(e) = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
    {
        tracing::error!(error = %e, "the metrics listener stopped");
    }
    let _ = upkeep.await;
}

/// Binds the metrics listener; a port in use is reported and the server runs without metrics
/// (they are for operators, not worth refusing to trade over).
pub async fn bind(addr: SocketAddr) -> Option<tokio::net::TcpListener> {
    match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => Some(listener),
        Err(e) => {
            tracing::warn!(
                %addr, error = %e,
                "metrics are not served: cannot listen there; choose another address with \
                 OSP__METRICS__ADDR (or set it to \"off\")"
            );
            None
        }
    }
}
