//! Signing in and out: the first admin (first run), sign-in, who am I, sign-out (here or
//! everywhere), and changing one's own password. The server's guard lets `me`, `setup` and
//! `login` through unsigned (and limits how often one address may try); everything else here
//! needs a session.

use leptos::prelude::*;
use osp_core::model::{TotpEnrolment, User};

use crate::error::AppError;

/// `POST /api/auth/me`: the signed-in user, or nothing.
#[server(endpoint = "auth/me")]
pub async fn me() -> Result<Option<User>, AppError> {
    crate::api::serve("auth/me", |_state| async move {
        Ok(crate::auth::current_user())
    })
    .await
}

/// `POST /api/auth/setup`: the first admin, on a new installation; signs them in.
#[server(endpoint = "auth/setup")]
pub async fn setup_admin(username: String, password: String) -> Result<User, AppError> {
    crate::api::serve("auth/setup", |state| async move {
        let signed = state
            .accounts
            .create_first_admin(&username, &password)
            .await?;
        tracing::info!(
            user = %signed.user.username,
            ip = ?crate::auth::client_ip(),
            "first admin created",
        );
        let session = crate::auth::session()?;
        session
            .0
            .sign_in(&signed.user, signed.session_generation)
            .await
            .map_err(AppError::internal)?;
        crate::auth::remember_device(&session, &signed.user);
        Ok(signed.user)
    })
    .await
}

/// `POST /api/auth/login`; `code` is the authenticator app's, for accounts that use one.
#[server(endpoint = "auth/login")]
pub async fn log_in(
    username: String,
    password: String,
    code: Option<String>,
) -> Result<User, AppError> {
    crate::api::serve("auth/login", |state| async move {
        let ip = crate::auth::client_ip();
        let session = crate::auth::session()?;
        let known = session
            .0
            .known_device(&osp_core::services::accounts::normalise_username(&username));
        match state
            .accounts
            .sign_in(&username, &password, code.as_deref(), known)
            .await
        {
            Ok(signed) => {
                session
                    .0
                    .sign_in(&signed.user, signed.session_generation)
                    .await
                    .map_err(AppError::internal)?;
                crate::auth::remember_device(&session, &signed.user);
                tracing::info!(user = %signed.user.username, ?ip, "signed in");
                Ok(signed.user)
            }
            Err(e) => {
                // Never the password; the username as typed, trimmed and cut short.
                let name: String = username.trim().chars().take(40).collect();
                tracing::warn!(username = %name, ?ip, reason = %e, "sign-in refused");
                Err(e.into())
            }
        }
    })
    .await
}

/// Tells the browser to drop what it kept of the signed-in pages (the offline copies in the
/// service worker's cache among them), so a shared phone shows nothing after signing out.
#[cfg(feature = "ssr")]
fn clear_site_data() {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(
            axum::http::HeaderName::from_static("clear-site-data"),
            axum::http::HeaderValue::from_static("\"cache\", \"storage\""),
        );
    }
}

/// Ends this request's session (its row, and the browser's cookie).
#[cfg(feature = "ssr")]
async fn end_this_session() -> Result<(), AppError> {
    crate::auth::session()?
        .0
        .sign_out()
        .await
        .map_err(AppError::internal)
}

/// `POST /api/auth/logout`: ends this session.
#[server(endpoint = "auth/logout")]
pub async fn log_out() -> Result<(), AppError> {
    crate::api::serve("auth/logout", |_state| async move {
        clear_site_data();
        end_this_session().await
    })
    .await
}

/// `POST /api/auth/logout-everywhere`: ends every session of the signed-in user (other
/// browsers and phones too), this one included.
#[server(endpoint = "auth/logout-everywhere")]
pub async fn log_out_everywhere() -> Result<(), AppError> {
    crate::api::serve("auth/logout-everywhere", |state| async move {
        let user = crate::auth::signed_in()?;
        state.accounts.sign_out_everywhere(user.id).await?;
        tracing::info!(user = %user.username, "signed out everywhere");
        clear_site_data();
        end_this_session().await
    })
    .await
}

/// `POST /api/auth/password`: a new password for the signed-in user, who proves the current
/// one. Every session of the user ends (this one too): sign in again with the new password.
#[server(endpoint = "auth/password")]
pub async fn change_password(current: String, new: String) -> Result<(), AppError> {
    crate::api::serve("auth/password", |state| async move {
        let user = crate::auth::signed_in()?;
        state
            .accounts
            .change_password(user.id, &current, &new)
            .await?;
        tracing::info!(user = %user.username, "password changed");
        end_this_session().await
    })
    .await
}

/// `POST /api/auth/totp/begin`: a new authenticator secret for the signed-in user, with its
/// QR code; it is used only once `auth/totp/confirm` sees a code from it.
#[server(endpoint = "auth/totp/begin")]
pub async fn begin_totp() -> Result<TotpEnrolment, AppError> {
    crate::api::serve("auth/totp/begin", |state| async move {
        let user = crate::auth::signed_in()?;
        Ok(state.accounts.begin_totp(user.id).await?)
    })
    .await
}

/// `POST /api/auth/totp/confirm`: turns the second factor on. Every session of the user ends
/// (this one too): sign in again, with a code.
#[server(endpoint = "auth/totp/confirm")]
pub async fn confirm_totp(code: String) -> Result<User, AppError> {
    crate::api::serve("auth/totp/confirm", |state| async move {
        let user = crate::auth::signed_in()?;
        let user = state.accounts.confirm_totp(user.id, &code).await?;
        tracing::info!(user = %user.username, "second factor turned on");
        end_this_session().await?;
        Ok(user)
    })
    .await
}

/// `POST /api/auth/totp/disable`: turns the second factor off, proving the password. Every
/// session of the user ends.
#[server(endpoint = "auth/totp/disable")]
pub async fn disable_totp(password: String) -> Result<User, AppError> {
    crate::api::serve("auth/totp/disable", |state| async move {
        let user = crate::auth::signed_in()?;
        let user = state.accounts.disable_totp(user.id, &password).await?;
        tracing::info!(user = %user.username, "second factor turned off");
        end_this_session().await?;
        Ok(user)
    })
    .await
}
