//! The simulator's REST API at Kite's paths, with Kite's checks: the `X-Kite-Version` and
//! `Authorization: token key:token` headers, InputExceptions that name the field, Kite's rate
//! limits answered with 429, and the faults a test asks for.

mod gtt;
mod login;
mod market;
mod orders;
mod params;
mod portfolio;
mod reply;
mod session;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;

use super::SimState;
use super::control::RestFault;
use reply::SimError;

/// Kite's per-second limits, with room for a request or two that travel together: a client
/// keeping to the limits is never refused, a burst past them is.
pub(super) struct SimLimits {
    quote: DefaultDirectRateLimiter,
    historical: DefaultDirectRateLimiter,
    orders: DefaultDirectRateLimiter,
    other: DefaultDirectRateLimiter,
}

impl Default for SimLimits {
    fn default() -> Self {
        let limit = |per_second: u32, burst: u32| {
            RateLimiter::direct(
                Quota::per_second(NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN))
                    .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN)),
            )
        };
        Self {
            quote: limit(1, 3),
            historical: limit(3, 6),
            orders: limit(10, 20),
            other: limit(10, 20),
        }
    }
}

impl SimLimits {
    fn admit(&self, method: &axum::http::Method, path: &str) -> bool {
        let limiter = if path.starts_with("/quote") {
            &self.quote
        } else if path.starts_with("/instruments/historical") {
            &self.historical
        } else if path.starts_with("/orders/") && method == axum::http::Method::POST {
            &self.orders
        } else {
            &self.other
        };
        limiter.check().is_ok()
    }
}

pub(super) fn router(state: Arc<SimState>) -> Router {
    let authenticated = Router::new()
        .route("/user/profile", get(session::profile))
        .route("/user/margins", get(session::margins))
        .route("/user/margins/{segment}", get(session::segment_margins))
        .route("/orders", get(orders::list))
        .route("/orders/{key}", get(orders::history).post(orders::place))
        .route(
            "/orders/{key}/{order_id}",
            axum::routing::put(orders::modify).delete(orders::cancel),
        )
        .route("/orders/{key}/trades", get(orders::order_trades))
        .route("/trades", get(orders::trades))
        .route("/margins/orders", post(orders::order_margins))
        .route("/margins/basket", post(orders::basket_margins))
        .route(
            "/portfolio/positions",
            get(portfolio::positions).put(portfolio::convert),
        )
        .route("/portfolio/holdings", get(portfolio::holdings))
        .route("/quote", get(market::quote))
        .route("/quote/ohlc", get(market::ohlc))
        .route("/quote/ltp", get(market::ltp))
        .route("/instruments", get(market::instruments))
        .route("/instruments/{exchange}", get(market::instruments_of))
        .route(
            "/instruments/historical/{token}/{interval}",
            get(market::historical),
        )
        .route("/gtt/triggers", get(gtt::list_gtts).post(gtt::place_gtt))
        .route(
            "/gtt/triggers/{id}",
            get(gtt::get_gtt)
                .put(gtt::modify_gtt)
                .delete(gtt::delete_gtt),
        )
        .route(
            "/alerts",
            get(gtt::list_alerts)
                .post(gtt::create_alert)
                .delete(gtt::delete_alerts),
        )
        .route("/alerts/{uuid}", get(gtt::get_alert).put(gtt::modify_alert))
        .route("/alerts/{uuid}/history", get(gtt::alert_history))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            require_session,
        ));
    let api = Router::new()
        .route(
            "/session/token",
            post(session::create_session).delete(session::invalidate_session),
        )
        .merge(authenticated)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            limits_and_faults,
        ));
    Router::new()
        .route("/connect/login", get(login::page))
        .route("/connect/login/approve", post(login::approve))
        .merge(api)
        .with_state(state)
}

async fn require_session(
    State(sim): State<Arc<SimState>>,
    request: Request,
    next: Next,
) -> Response {
    let header = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if let Err(e) = sim.auth.check_header(header) {
        return SimError::from(e).into_response();
    }
    next.run(request).await
}

async fn limits_and_faults(
    State(sim): State<Arc<SimState>>,
    request: Request<Body>,
    next: Next,
) -> Response {
    if request
        .headers()
        .get("x-kite-version")
        .and_then(|v| v.to_str().ok())
        != Some("3")
    {
        return SimError::input(
            "Missing or wrong `X-Kite-Version` header; send `X-Kite-Version: 3`.",
        )
        .into_response();
    }
    let placement = request.method() == axum::http::Method::POST
        && request.uri().path().starts_with("/orders/");
    let fault = sim.control.take_rest_fault(placement);
    match fault {
        Some(RestFault::ServerError) => {
            return SimError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                error_type: "NetworkException",
                message: "Upstream is unavailable (injected fault).".into(),
            }
            .into_response();
        }
        Some(RestFault::TooManyRequests) => return too_many(),
        Some(RestFault::Hang(_) | RestFault::Garbled) | None => {}
    }
    if !sim.limits.admit(request.method(), request.uri().path()) {
        return too_many();
    }
    let (request, slow) = match placement_delay(&sim, request).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let response = next.run(request).await;
    if let Some(delay) = slow {
        // The order is placed; its answer is what comes late.
        tokio::time::sleep(delay).await;
    }
    match fault {
        // The request took effect; its answer is what gets lost.
        Some(RestFault::Hang(duration)) => tokio::time::sleep(duration).await,
        Some(RestFault::Garbled) => {
            return (StatusCode::OK, "<html>upstream proxy error</html>").into_response();
        }
        _ => {}
    }
    response
}

/// The delay the control puts on this request when it places an order for a slowed symbol
/// (the request comes back whole either way).
async fn placement_delay(
    sim: &SimState,
    request: Request<Body>,
) -> Result<(Request<Body>, Option<std::time::Duration>), Response> {
    if !(sim.control.slows_placements()
        && request.method() == axum::http::Method::POST
        && request.uri().path().starts_with("/orders/"))
    {
        return Ok((request, None));
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return Err(SimError::input("The order form is too large.").into_response());
    };
    let delay = form_urlencoded::parse(&bytes)
        .find(|(key, _)| key == "tradingsymbol")
        .and_then(|(_, symbol)| sim.control.placement_delay(&symbol));
    Ok((Request::from_parts(parts, Body::from(bytes)), delay))
}

fn too_many() -> Response {
    SimError {
        status: StatusCode::TOO_MANY_REQUESTS,
        error_type: "NetworkException",
        message: "Too many requests".into(),
    }
    .into_response()
}
