//! The guard: one middleware every request passes, whatever it is for (server function, page,
//! file, CSV, websocket). In order it
//! 0. refuses a request for a name this server does not answer to (`host`: DNS rebinding);
//! 1. refuses cross-site requests that could change something (`origin`);
//! 2. finds the signed-in user from the session (gone if the user was disabled, their sessions
//!    were ended, or the session is older than the absolute timeout);
//! 3. limits how often one address may try to sign in;
//! 4. looks the request up in the access table (`access`) and lets it through only if the
//!    user's role allows it: a page without a session goes to the sign-in page (or to the
//!    first-run page while there is no user), anything else answers 401 or 403 in JSON.
//!
//! The user and the session handle ride on the request to the server functions
//! (`app::auth`).

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use app::auth::{ClientIp, CurrentUser, SessionHandle};
use app::error::AppError;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{Method, Request, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use osp_core::model::{Access, User};
use osp_core::ports::Clock;
use osp_core::services::accounts::AccountService;
use tower_sessions::Session;

use super::access::{self, Rule};
use super::client_ip::client_ip;
use super::origin::cross_site_problem;
use super::sessions::{self, RequestSession};

/// Server functions that take a password: limited per address.
const SIGN_IN_PATHS: [&str; 2] = ["/api/auth/login", "/api/auth/setup"];
/// Public paths that still answer by who is asking.
const USER_AWARE_PUBLIC: [&str; 4] = ["/login", "/setup", "/api/auth/me", "/ready"];
/// Keyed limiters keep one entry per address; past this many, idle ones are dropped.
const MAX_TRACKED_ADDRESSES: usize = 10_000;

pub struct Guard {
    pub accounts: Arc<AccountService>,
    pub clock: Arc<dyn Clock>,
    pub absolute_timeout_ms: i64,
    pub allowed_origins: Vec<String>,
    /// The names (besides addresses and localhost) the app answers to (`host`).
    pub allowed_names: Vec<String>,
    /// Proxies believed about `X-Forwarded-For` (`client_ip`).
    pub trusted_proxies: Vec<IpAddr>,
    sign_ins: DefaultKeyedRateLimiter<IpAddr>,
    devices: Arc<super::devices::KnownDevices>,
    sessions: super::sessions::SessionBackend,
    /// The price sockets' session checks, shared (`StillSignedIn`).
    session_checks: super::sessions::SessionChecks,
}

impl Guard {
    pub fn new(
        accounts: Arc<AccountService>,
        clock: Arc<dyn Clock>,
        settings: &crate::config::Settings,
        secrets: crate::secrets::SecretBox,
        sessions: super::sessions::SessionBackend,
    ) -> Guard {
        let per_minute =
            NonZeroU32::new(settings.auth.login_attempts_per_minute).unwrap_or(NonZeroU32::MIN);
        Guard {
            accounts,
            clock,
            absolute_timeout_ms: i64::try_from(settings.auth.absolute_timeout.as_millis())
                .unwrap_or(i64::MAX),
            allowed_origins: settings.server.allowed_origins.clone(),
            allowed_names: super::host::allowed_names(&settings.server.allowed_origins),
            trusted_proxies: settings.server.trusted_proxies.clone(),
            sign_ins: RateLimiter::keyed(Quota::per_minute(per_minute)),
            devices: Arc::new(super::devices::KnownDevices {
                secrets,
                secure: settings.server.https,
            }),
            sessions,
            session_checks: super::sessions::SessionChecks::default(),
        }
    }

    /// The user whose session this is, if it still stands; a session that no longer does is
    /// emptied (its cookie goes).
    async fn user(&self, session: &Session) -> Result<Option<User>, String> {
        let Some(signed) = sessions::signed_in(session).await? else {
            return Ok(None);
        };
        let now = self.clock.now_ms();
        if now.saturating_sub(signed.signed_in_ms) > self.absolute_timeout_ms {
            let _ = session.flush().await;
            return Ok(None);
        }
        match self
            .accounts
            .session_user(signed.user_id(), signed.generation)
            .await
        {
            Ok(Some(user)) => {
                sessions::touch(session, signed, now).await;
                Ok(Some(user))
            }
            Ok(None) => {
                let _ = session.flush().await;
                Ok(None)
            }
            Err(e) => Err(e.to_string()),
        }
    }

    /// `Some(seconds to wait)` when `ip`'s network has used up its sign-in attempts.
    fn sign_in_wait(&self, ip: IpAddr) -> Option<u64> {
        if self.sign_ins.len() > MAX_TRACKED_ADDRESSES {
            self.sign_ins.retain_recent();
        }
        self.sign_ins
            .check_key(&network(ip))
            .err()
            .map(|not_until| {
                not_until
                    .wait_time_from(DefaultClock::default().now())
                    .as_secs()
                    .max(1)
            })
    }
}

/// The network an address counts under for the sign-in limit: an IPv4 address itself, an IPv6
/// address by its /64 (one customer's line usually holds a whole /64, so counting each of its
/// 2^64 addresses apart would be no limit at all); an IPv4 address written as IPv6 is IPv4.
pub fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(std::net::Ipv6Addr::from(prefix))
            }
        },
    }
}

/// A page a browser navigates to (an answer it can be redirected from), as opposed to a call.
fn is_page(method: &Method, path: &str) -> bool {
    matches!(*method, Method::GET | Method::HEAD)
        && !path.starts_with("/api/")
        && path != app::live::PRICES_WS_PATH
        && !path.ends_with(".csv")
}

/// What a browser opening a page is shown while the database does not answer (sessions live
/// there): a page that says so, asking the browser to come back in 10 s — not a JSON error,
/// not the sign-in page (the session may well stand).
fn database_down_page() -> Response {
    const PAGE: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
        <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
        <meta http-equiv=\"refresh\" content=\"10\"><title>Database not answering — OS \
        Platforms</title></head><body><main><h1>The database is not answering</h1><p>Your \
        sign-in cannot be checked, so this page cannot be shown. Nothing was done. This page \
        tries again every 10 seconds; if it keeps showing, the server's operator should check \
        the database (its /ready says which part is down).</p></main></body></html>";
    (
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::RETRY_AFTER, "10"),
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        PAGE,
    )
        .into_response()
}

/// Where to send a browser that is not signed in: back here after signing in.
fn sign_in_redirect(request: &Request<Body>) -> Response {
    let target = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let next: String = form_urlencoded::byte_serialize(target.as_bytes()).collect();
    Redirect::to(&format!("/login?next={next}")).into_response()
}

pub async fn guard(
    State(guard): State<Arc<Guard>>,
    session: Session,
    mut request: Request<Body>,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    if let Some(problem) = super::host::host_problem(
        &path,
        request.uri(),
        request.headers(),
        &guard.allowed_names,
    ) {
        tracing::warn!(%method, %path, %problem, "request for another name refused");
        return (axum::http::StatusCode::MISDIRECTED_REQUEST, problem).into_response();
    }
    // Kite's servers post without an Origin; their postbacks carry a checksum instead.
    let checksummed = access::CHECKSUMMED.contains(&path.as_str());
    if !checksummed
        && let Some(problem) =
            cross_site_problem(&method, request.headers(), &guard.allowed_origins)
    {
        tracing::warn!(%method, %path, %problem, "cross-site request refused");
        return AppError::Forbidden(problem).into_response();
    }
    let rule = access::rule(&method, &path);
    let public = rule == Rule::Needs(Access::Public);
    // The static files and probes need nobody: no session read for them (a page load fetches
    // several).
    let user = if public && !USER_AWARE_PUBLIC.contains(&path.as_str()) {
        None
    } else {
        match guard.user(&session).await {
            Ok(user) => user,
            Err(e) if !public => {
                tracing::error!(error = %e, "the session could not be read");
                if is_page(&method, &path) {
                    return database_down_page();
                }
                return AppError::Unavailable(
                    "the database is not answering, so your sign-in cannot be checked \
                     (nothing was done)"
                        .to_owned(),
                )
                .into_response();
            }
            Err(_) => None,
        }
    };
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| client_ip(c.0.ip(), request.headers(), &guard.trusted_proxies));
    if let Some(ip) = ip {
        request.extensions_mut().insert(ClientIp(ip));
    }
    if SIGN_IN_PATHS.contains(&path.as_str())
        && let Some(wait) = ip.and_then(|ip| guard.sign_in_wait(ip))
    {
        tracing::warn!(?ip, %path, "sign-in attempts from this address are over the limit");
        let mut response = AppError::TooManyRequests(format!(
            "too many sign-in attempts from this address; try again in {wait} s"
        ))
        .into_response();
        if let Ok(value) = wait.to_string().parse() {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }
    let access = match rule {
        Rule::Unlisted => {
            tracing::error!(%path, "a server function has no access rule; refused to everyone");
            return AppError::Forbidden(
                "this endpoint has no access rule yet, so it is refused".to_owned(),
            )
            .into_response();
        }
        Rule::Needs(access) => access,
    };
    // The sign-in and first-run pages send a browser where it belongs.
    if method == Method::GET && (path == "/login" || path == "/setup") {
        let setup = match guard.accounts.needs_setup().await {
            Ok(setup) => setup,
            Err(e) => return AppError::from(e).into_response(),
        };
        if user.is_some() {
            return Redirect::to("/").into_response();
        }
        if setup && path == "/login" {
            return Redirect::to("/setup").into_response();
        }
        if !setup && path == "/setup" {
            return Redirect::to("/login").into_response();
        }
    }
    // A long-lived connection asks again, while it is open, whether its session stands.
    if path == app::live::PRICES_WS_PATH
        && let Some(id) = session.id()
    {
        request
            .extensions_mut()
            .insert(super::sessions::StillSignedIn {
                backend: guard.sessions.clone(),
                id,
                accounts: guard.accounts.clone(),
                clock: guard.clock.clone(),
                absolute_timeout_ms: guard.absolute_timeout_ms,
                checks: guard.session_checks.clone(),
            });
    }
    request.extensions_mut().insert(CurrentUser(user.clone()));
    let mut cookies = axum::http::HeaderMap::new();
    for value in request.headers().get_all(header::COOKIE) {
        cookies.append(header::COOKIE, value.clone());
    }
    request
        .extensions_mut()
        .insert(SessionHandle(Arc::new(RequestSession {
            session,
            clock: guard.clock.clone(),
            devices: guard.devices.clone(),
            cookies,
        })));
    match (access, &user) {
        // A file missing under a public folder is a plain 404, never the app's page (which
        // would render for a stranger).
        (Access::Public, _) if access::is_public_file(&path) => {
            let response = next.run(request).await;
            if response.status() == axum::http::StatusCode::NOT_FOUND {
                return (axum::http::StatusCode::NOT_FOUND, "not found").into_response();
            }
            response
        }
        (Access::Public, _) => next.run(request).await,
        (_, None) if is_page(&method, &path) => sign_in_redirect(&request),
        (_, None) => {
            AppError::Unauthorized("sign in first (or again: the session ended)".to_owned())
                .into_response()
        }
        (access, Some(user)) if user.role.allows(access) => next.run(request).await,
        (access, Some(user)) => {
            tracing::warn!(user = %user.username, role = user.role.code(), %path, "refused by role");
            AppError::Forbidden(app::api::access::refusal(user.role, access)).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::network;
    use std::net::IpAddr;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_ipv6_address_counts_by_its_64_and_an_ipv4_one_alone() {
        assert_eq!(network(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(
            network(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")),
            network(ip("2001:db8:1:2::7"))
        );
        assert_ne!(
            network(ip("2001:db8:1:3::1")),
            network(ip("2001:db8:1:2::1"))
        );
        assert_eq!(network(ip("198.51.100.7")), ip("198.51.100.7"));
        assert_eq!(network(ip("::ffff:198.51.100.7")), ip("198.51.100.7"));
    }
}
