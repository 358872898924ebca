//! `osp user …`: the first admin, other users and a forgotten password from the command line,
//! through the same account service (and rules) as the app's pages.

use std::io::BufRead;
use std::sync::Arc;

use anyhow::Context;
use osp_core::model::Role;
use osp_core::ports::UserStore;
use osp_core::services::accounts::{AccountService, NewUser};

use crate::auth::{Argon2Hasher, Totp};
use crate::clock::SystemClock;
use crate::config::{Profile, Settings};
use crate::database::Database;
use crate::secrets::SecretBox;

/// The environment variable a password may come from instead of standard input.
pub const PASSWORD_ENV: &str = "OSP_NEW_PASSWORD";

fn accounts(database: &Database, settings: &Settings) -> anyhow::Result<AccountService> {
    let secrets = SecretBox::load(
        settings.secrets.key.as_ref(),
        &settings.data_dir,
        settings.profile != Profile::Production,
    )?;
    Ok(AccountService::new(
        Arc::new(database.clone()) as Arc<dyn UserStore>,
        Arc::new(Argon2Hasher),
        Arc::new(SystemClock),
        // The command line signs nobody in; its password checks are the operator's own.
        Arc::new(crate::auth::throttle::UsernameThrottle::new(
            5,
            std::time::Duration::from_secs(30),
        )),
        Arc::new(Totp { secrets }),
    ))
}

/// The new password: `OSP_NEW_PASSWORD`, else the first line of standard input.
pub fn read_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var(PASSWORD_ENV) {
        return Ok(password);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        anyhow::bail!("no password: set {PASSWORD_ENV} or type it on standard input (one line)");
    }
    Ok(password)
}

pub async fn create(
    database: &Database,
    settings: &Settings,
    username: &str,
    role: &str,
    password: &str,
) -> anyhow::Result<String> {
    let role = Role::parse(role)
        .with_context(|| format!("{role:?} is not a role: use admin, trader or viewer"))?;
    let accounts = accounts(database, settings)?;
    let first = accounts.needs_setup().await?;
    if first && role != Role::Admin {
        anyhow::bail!("the first user must be an admin: add --admin");
    }
    let user = if first {
        accounts.create_first_admin(username, password).await?.user
    } else {
        accounts
            .create(&NewUser {
                username: username.to_owned(),
                password: password.to_owned(),
                role,
            })
            .await?
    };
    Ok(format!(
        "user {} created ({}); they can sign in now",
        user.username,
        user.role.code()
    ))
}

pub async fn reset_password(
    database: &Database,
    settings: &Settings,
    username: &str,
    password: &str,
) -> anyhow::Result<String> {
    let accounts = accounts(database, settings)?;
    let wanted = osp_core::services::accounts::normalise_username(username);
    let user = accounts
        .list()
        .await?
        .into_iter()
        .find(|u| u.username == wanted)
        .with_context(|| format!("there is no user {wanted}; `osp user list` shows them"))?;
    accounts.reset_password(user.id, password).await?;
    Ok(format!(
        "{} has a new password; their sessions have ended",
        user.username
    ))
}

pub async fn list(database: &Database, settings: &Settings) -> anyhow::Result<Vec<String>> {
    let users = accounts(database, settings)?.list().await?;
    if users.is_empty() {
        return Ok(vec![
            "no users yet: `osp user create --admin --username NAME`".to_owned(),
        ]);
    }
    Ok(users
        .into_iter()
        .map(|u| {
            format!(
                "{}\t{}{}",
                u.username,
                u.role.code(),
                if u.disabled { "\tdisabled" } else { "" }
            )
        })
        .collect())
}
