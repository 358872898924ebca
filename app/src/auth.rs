//! Who is asking: the signed-in user the server's guard found for this request, and the
//! handle a server function uses to sign a session in or out. The guard (in the server's
//! `auth` module) has already refused every request its role does not allow; server functions
//! read the user only to know whose data it is and to log who did what. Server-only.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use leptos::prelude::*;
use osp_core::model::User;

use crate::error::AppError;

/// The signed-in user of this request, if any (put in the request by the guard).
#[derive(Clone, Debug)]
pub struct CurrentUser(pub Option<User>);

/// Signing this request's session in and out (the server's session store behind it).
#[async_trait::async_trait]
pub trait SessionWriter: Send + Sync {
    /// A fresh session id for `user` (never the one the browser came with: no fixation),
    /// stamped with the user's session generation and the time.
    async fn sign_in(&self, user: &User, session_generation: i64) -> Result<(), String>;
    /// Deletes the session and tells the browser to drop its cookie.
    async fn sign_out(&self) -> Result<(), String>;
    /// Whether this browser signed in as `username` before (it is then not slowed by the
    /// per-username allowance).
    fn known_device(&self, username: &str) -> bool;
    /// The `Set-Cookie` value that makes this browser known for `username` from now.
    fn device_cookie(&self, username: &str) -> String;
}

/// The request's session, for the sign-in and sign-out server functions.
#[derive(Clone)]
pub struct SessionHandle(pub Arc<dyn SessionWriter>);

fn parts() -> Result<Parts, AppError> {
    use_context::<Parts>().ok_or_else(|| AppError::internal("the request is not in context"))
}

/// The signed-in user, if any.
pub fn current_user() -> Option<User> {
    use_context::<Parts>()
        .and_then(|p| p.extensions.get::<CurrentUser>().cloned())
        .and_then(|c| c.0)
}

/// The signed-in user, or 401.
pub fn signed_in() -> Result<User, AppError> {
    current_user().ok_or_else(|| AppError::Unauthorized("sign in first".to_owned()))
}

pub fn session() -> Result<SessionHandle, AppError> {
    parts()?
        .extensions
        .get::<SessionHandle>()
        .cloned()
        .ok_or_else(|| AppError::internal("the session layer is missing"))
}

/// The client's address as the guard found it (the TCP peer, or what a trusted proxy says).
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub IpAddr);

/// The address the request came from, for the log.
pub fn client_ip() -> Option<IpAddr> {
    use_context::<Parts>().and_then(|p| {
        p.extensions.get::<ClientIp>().map(|c| c.0).or_else(|| {
            p.extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip())
        })
    })
}

/// Whose watchlists a request reads and writes: the signed-in user's own.
pub fn owner() -> Result<String, AppError> {
    Ok(format!("user-{}", signed_in()?.id.0))
}

/// Makes this browser known for `user` (after a good sign-in).
pub fn remember_device(handle: &SessionHandle, user: &User) {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>()
        && let Ok(value) = handle.0.device_cookie(&user.username).parse()
    {
        response.append_header(axum::http::header::SET_COOKIE, value);
    }
}
