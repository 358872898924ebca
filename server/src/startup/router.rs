//! The last builder: the routes. A workers process answers the health checks only; a web
//! process serves the pages, server functions, the price websocket, Kite's login and postback
//! routes and the CSV export — every request behind the sessions, the guard and the security
//! headers.

use std::sync::Arc;

use app::state::AppState;
use app::{App, shell};
use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::routing::{any, get, post};
use leptos_axum::{LeptosRoutes, generate_route_list};
use osp_core::ports::{TickBus, WorkerControl};

use super::accounts::Accounts;
use super::infra::Infra;
use super::market_data::Market;
use super::topology::Role;
use crate::auth;
use crate::config::Settings;
use crate::http::{api_fallback, health, kite, levels_csv, middleware, ready};
use crate::websocket::activity::ActivityPush;
use crate::websocket::prices::PriceStream;

pub(super) fn build(
    settings: &Settings,
    infra: &Infra,
    market: &Market,
    accounts: &Accounts,
    local_workers: Arc<dyn WorkerControl>,
    state: AppState,
    activity: ActivityPush,
) -> Router {
    let workers_only = infra.topology.role == Role::Workers;
    let ready_route = {
        let bus = infra.topology.bus.clone();
        move |state, user| {
            ready::ready(
                state,
                user,
                bus.clone(),
                local_workers.clone(),
                workers_only,
            )
        }
    };
    if infra.topology.role == Role::Workers {
        // No pages and no sign-in here: the health checks only.
        let router = Router::new()
            .route("/health", get(health::health))
            .route("/ready", get(ready_route))
            .with_state(state);
        return middleware::apply(router);
    }
    let stream = PriceStream {
        bus: market.market.bus.clone() as Arc<dyn TickBus>,
        prices: market.market.prices.clone(),
        subscriptions: market.subscriptions.clone(),
        min_interval: settings.stream.min_interval(),
        activity,
        shutdown: infra.shutdown.clone(),
        catalog: market.catalog.clone(),
        sockets: Default::default(),
    };
    let account = &market.kite_account;
    let leptos_options = state.leptos_options.clone();
    let bundles =
        crate::site::bundles_service(std::path::Path::new(leptos_options.site_root.as_ref()));
    let routes = generate_route_list(App);
    let router = Router::new()
        .route("/health", get(health::health))
        .route("/ready", get(ready_route))
        .route("/levels/export.csv", get(levels_csv::export))
        .route(
            "/kite/connect",
            get({
                let account = account.clone();
                move |user| kite::connect(account.clone(), user)
            }),
        )
        .route(
            "/kite/callback",
            get({
                let account = account.clone();
                move |query| kite::callback(account.clone(), query)
            }),
        )
        .route(
            "/kite/postback",
            post({
                let account = account.clone();
                move |body| kite::postback(account.clone(), body)
            }),
        )
        .nest_service(&format!("/{}", leptos_options.site_pkg_dir), bundles)
        // Registered server functions are more specific and win over this.
        .route("/api/{*rest}", any(api_fallback::api_not_found))
        .route(
            app::live::PRICES_WS_PATH,
            get(
                move |ws: WebSocketUpgrade,
                      axum::Extension(user): axum::Extension<app::auth::CurrentUser>,
                      still: Option<axum::Extension<auth::sessions::StillSignedIn>>| async move {
                    // The guard let only a signed-in user with a session here.
                    match (user.0, still) {
                        (Some(user), Some(axum::Extension(still))) => {
                            stream.clone().upgrade(ws, user.id.0, Some(still))
                        }
                        _ => axum::response::IntoResponse::into_response(
                            axum::http::StatusCode::UNAUTHORIZED,
                        ),
                    }
                },
            ),
        )
        .leptos_routes(&state, routes, move || shell(leptos_options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .with_state(state)
        // Every request, whatever it is for, passes the guard (inside the session layer that
        // finds its session); the security headers go on every answer.
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(auth::Guard::new(
                accounts.accounts.clone(),
                infra.clock.clone(),
                settings,
                infra.secrets.clone(),
                accounts.sessions.clone(),
            )),
            auth::guard::guard,
        ))
        .layer(
            accounts
                .sessions
                .layer(settings.server.https, settings.auth.idle_timeout),
        )
        .layer(axum::middleware::from_fn({
            let tls = settings.server.https;
            move |request, next| auth::headers::security_headers(tls, request, next)
        }));
    middleware::apply(router)
}
