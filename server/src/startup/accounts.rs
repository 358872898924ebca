//! The accounts builder: app users (the first admin, sign-in with its allowance per username and
//! the second factor) and their sessions in the database.

use std::sync::Arc;

use osp_core::ports::UserStore;
use osp_core::services::accounts::AccountService;
use tokio::task::JoinHandle;

use super::infra::Infra;
use crate::auth::{self, Argon2Hasher};
use crate::config::Settings;

pub(super) struct Accounts {
    pub accounts: Arc<AccountService>,
    pub sessions: auth::SessionBackend,
    /// Sweeps expired sessions; aborted at shutdown.
    pub sessions_task: JoinHandle<()>,
}

impl Accounts {
    pub async fn build(settings: &Settings, infra: &Infra) -> anyhow::Result<Accounts> {
        let accounts = Arc::new(AccountService::new(
            Arc::new(infra.database.clone()) as Arc<dyn UserStore>,
            Arc::new(Argon2Hasher),
            infra.clock.clone(),
            Arc::new(auth::throttle::UsernameThrottle::new(
                settings.auth.sign_in_attempts,
                settings.auth.sign_in_retry,
            )),
            Arc::new(auth::Totp {
                secrets: infra.secrets.clone(),
            }),
        ));
        match accounts.needs_setup().await {
            Ok(true) => tracing::warn!(
                "no user yet: open the app to create the first admin (or run `osp user create --admin`)"
            ),
            Ok(false) => {}
            Err(e) => anyhow::bail!("cannot read the users: {e}"),
        }
        let sessions = auth::SessionBackend::new(&infra.database)?;
        let sessions_task = tokio::spawn(sessions.clone().sweep());
        Ok(Accounts {
            accounts,
            sessions,
            sessions_task,
        })
    }
}
