//! The admin's user management: list, add, change role or disable, set a new password, end a
//! user's sessions. The guard lets only admins in.

use leptos::prelude::*;
use osp_core::model::User;

use crate::error::AppError;

#[cfg(feature = "ssr")]
fn role(code: &str) -> Result<osp_core::model::Role, AppError> {
    osp_core::model::Role::parse(code).ok_or_else(|| {
        AppError::Invalid(vec![crate::error::FieldProblem {
            field: "role".to_owned(),
            message: format!("{code:?} is not a role: choose admin, trader or viewer"),
        }])
    })
}

/// `POST /api/users`.
#[server(endpoint = "users")]
pub async fn list_users() -> Result<Vec<User>, AppError> {
    crate::api::serve("users", |_state| async move {
        Ok(crate::state::app_state()?.accounts.list().await?)
    })
    .await
}

/// `POST /api/users/create`.
#[server(endpoint = "users/create")]
pub async fn create_user(
    username: String,
    password: String,
    role_code: String,
) -> Result<User, AppError> {
    crate::api::serve("users/create", |state| async move {
        let new = osp_core::services::accounts::NewUser {
            username,
            password,
            role: role(&role_code)?,
        };
        let user = state.accounts.create(&new).await?;
        tracing::info!(
            by = ?crate::auth::current_user().map(|u| u.username),
            user = %user.username,
            role = user.role.code(),
            "user created",
        );
        Ok(user)
    })
    .await
}

/// `POST /api/users/update`: role and disabled; the user's sessions end.
#[server(endpoint = "users/update")]
pub async fn update_user(id: i64, role_code: String, disabled: bool) -> Result<User, AppError> {
    crate::api::serve("users/update", |state| async move {
        let change = osp_core::services::accounts::UserChange {
            role: role(&role_code)?,
            disabled,
        };
        let user = state
            .accounts
            .change(osp_core::model::UserId(id), change)
            .await?;
        tracing::info!(
            by = ?crate::auth::current_user().map(|u| u.username),
            user = %user.username,
            role = user.role.code(),
            disabled,
            "user changed",
        );
        Ok(user)
    })
    .await
}

/// `POST /api/users/password`: an admin sets a new password (and unlocks the account, and
/// turns its two-step sign-in off: the usual reason is a lost phone).
#[server(endpoint = "users/password")]
pub async fn reset_user_password(id: i64, password: String) -> Result<(), AppError> {
    crate::api::serve("users/password", |state| async move {
        state
            .accounts
            .reset_password(osp_core::model::UserId(id), &password)
            .await?;
        tracing::info!(
            by = ?crate::auth::current_user().map(|u| u.username),
            user_id = id,
            "password reset by an admin",
        );
        Ok(())
    })
    .await
}

/// `POST /api/users/sign-out`: ends every session of a user.
#[server(endpoint = "users/sign-out")]
pub async fn sign_out_user(id: i64) -> Result<(), AppError> {
    crate::api::serve("users/sign-out", |state| async move {
        Ok(state
            .accounts
            .sign_out_everywhere(osp_core::model::UserId(id))
            .await?)
    })
    .await
}
