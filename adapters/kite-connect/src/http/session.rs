//! Login and session: the login URL, exchanging a request token for an access token (with the
//! checksum), logout, and the user's profile and margins.

use secrecy::SecretString;

use super::client::{Call, KiteClient};
use super::error::KiteError;
use super::models::{Margins, Profile, SegmentMargin, Session};
use crate::common::credential;

impl KiteClient {
    /// Where to send the user to sign in to Kite.
    pub fn login_url(&self, redirect_params: Option<&str>) -> String {
        self.config
            .endpoints
            .login_url(&self.api_key(), redirect_params)
    }

    /// Exchanges the `request_token` from the login redirect for a session, and uses it from
    /// now on. Never retried blindly: a request token is single-use.
    pub async fn generate_session(&self, request_token: &str) -> Result<Session, KiteError> {
        let app = self.app();
        let secret = app
            .api_secret
            .as_ref()
            .ok_or(KiteError::MissingSecret("exchange a request token"))?;
        if request_token.trim().is_empty() {
            return Err(KiteError::InvalidRequest(
                "the login redirect carried no request_token".into(),
            ));
        }
        let checksum = credential::session_checksum(&app.api_key, request_token, secret);
        let call = Call::post("/session/token").unauthenticated().form(vec![
            ("api_key", app.api_key.clone()),
            ("request_token", request_token.to_owned()),
            ("checksum", checksum),
        ]);
        let session: Session = self.send(call).await?;
        self.set_access_token(SecretString::from(session.access_token.clone()));
        Ok(session)
    }

    /// Invalidates the current access token at Kite and forgets it here.
    pub async fn invalidate_session(&self) -> Result<bool, KiteError> {
        let token = self.access_token().ok_or(KiteError::NotLoggedIn)?;
        let call = Call::delete("/session/token")
            .query("api_key", self.api_key())
            .query(
                "access_token",
                secrecy::ExposeSecret::expose_secret(&token).to_owned(),
            )
            .idempotent(true);
        let done: bool = self.send(call).await?;
        self.clear_access_token();
        Ok(done)
    }

    pub async fn profile(&self) -> Result<Profile, KiteError> {
        self.send(Call::get("/user/profile")).await
    }

    pub async fn margins(&self) -> Result<Margins, KiteError> {
        self.send(Call::get("/user/margins")).await
    }

    /// `equity` or `commodity`.
    pub async fn segment_margins(&self, segment: &str) -> Result<SegmentMargin, KiteError> {
        if !matches!(segment, "equity" | "commodity") {
            return Err(KiteError::InvalidRequest(format!(
                "margin segment '{segment}' must be equity or commodity"
            )));
        }
        self.send(Call::get(format!("/user/margins/{segment}")))
            .await
    }
}
