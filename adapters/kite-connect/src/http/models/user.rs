//! The user and the session: `POST /session/token`, `GET /user/profile`.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub user_id: String,
    #[serde(default)]
    pub user_type: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub user_name: String,
    #[serde(default)]
    pub user_shortname: String,
    #[serde(default)]
    pub broker: String,
    #[serde(default)]
    pub exchanges: Vec<String>,
    #[serde(default)]
    pub products: Vec<String>,
    #[serde(default)]
    pub order_types: Vec<String>,
    #[serde(default)]
    pub avatar_url: Option<String>,
}

/// What `POST /session/token` returns: the profile plus the tokens. `Debug` is written by
/// hand so the tokens never reach a log.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    #[serde(flatten)]
    pub profile: Profile,
    pub api_key: String,
    pub access_token: String,
    #[serde(default)]
    pub public_token: String,
    #[serde(default)]
    pub refresh_token: String,
    #[serde(default)]
    pub login_time: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user_id", &self.profile.user_id)
            .field("api_key", &self.api_key)
            .field("access_token", &"[REDACTED]")
            .field("login_time", &self.login_time)
            .finish()
    }
}
