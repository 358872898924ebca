//! The simulator's sessions, checked like Kite checks them: a login issues a single-use
//! request token; `POST /session/token` exchanges it for an access token when the checksum
//! (SHA-256 of api_key + request_token + api_secret) matches; every REST call and the ticker
//! handshake need a live access token; logout invalidates it.

use std::collections::HashSet;
use std::sync::Mutex;

use rand::Rng;
use rand::distr::Alphanumeric;
use secrecy::SecretString;

use kite_connect::common::credential::{parse_authorization, session_checksum};

pub struct SimAuth {
    pub api_key: String,
    api_secret: SecretString,
    tokens: Mutex<Tokens>,
}

#[derive(Default)]
struct Tokens {
    request: HashSet<String>,
    access: HashSet<String>,
}

/// Why a credential was refused; the REST layer turns it into Kite's TokenException.
#[derive(Debug, PartialEq, Eq)]
pub enum AuthError {
    WrongApiKey,
    UnknownRequestToken,
    BadChecksum,
    InvalidAccessToken,
}

impl AuthError {
    pub fn message(&self) -> &'static str {
        match self {
            AuthError::WrongApiKey => "Invalid `api_key`.",
            AuthError::UnknownRequestToken => "Token is invalid or has expired.",
            AuthError::BadChecksum => "Invalid `checksum`.",
            AuthError::InvalidAccessToken => "Incorrect `api_key` or `access_token`.",
        }
    }
}

fn random_token() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(32)
        .map(char::from)
        .collect()
}

impl SimAuth {
    pub fn new(api_key: impl Into<String>, api_secret: SecretString) -> Self {
        Self {
            api_key: api_key.into(),
            api_secret,
            tokens: Mutex::new(Tokens::default()),
        }
    }

    fn tokens(&self) -> std::sync::MutexGuard<'_, Tokens> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What a successful login hands to the redirect URL.
    pub fn issue_request_token(&self) -> String {
        let token = random_token();
        self.tokens().request.insert(token.clone());
        token
    }

    /// A session without the login dance: demo mode and tests that are not about login.
    pub fn issue_access_token(&self) -> String {
        let token = random_token();
        self.tokens().access.insert(token.clone());
        token
    }

    pub fn exchange(
        &self,
        api_key: &str,
        request_token: &str,
        checksum: &str,
    ) -> Result<String, AuthError> {
        if api_key != self.api_key {
            return Err(AuthError::WrongApiKey);
        }
        let expected = session_checksum(api_key, request_token, &self.api_secret);
        let mut tokens = self.tokens();
        if !tokens.request.contains(request_token) {
            return Err(AuthError::UnknownRequestToken);
        }
        if !checksum.eq_ignore_ascii_case(&expected) {
            return Err(AuthError::BadChecksum);
        }
        // Single use, like Kite's.
        tokens.request.remove(request_token);
        let access = random_token();
        tokens.access.insert(access.clone());
        Ok(access)
    }

    pub fn check(&self, api_key: &str, access_token: &str) -> Result<(), AuthError> {
        if api_key == self.api_key && self.tokens().access.contains(access_token) {
            Ok(())
        } else {
            Err(AuthError::InvalidAccessToken)
        }
    }

    /// Checks an `Authorization: token key:token` header value.
    pub fn check_header(&self, header: Option<&str>) -> Result<(), AuthError> {
        let (key, token) = header
            .and_then(parse_authorization)
            .ok_or(AuthError::InvalidAccessToken)?;
        self.check(key, token)
    }

    /// Ends every session, as Kite does every morning at 06:00 IST; the number ended.
    pub fn end_all_sessions(&self) -> usize {
        let mut tokens = self.tokens();
        let ended = tokens.access.len();
        tokens.access.clear();
        ended
    }

    pub fn invalidate(&self, api_key: &str, access_token: &str) -> Result<(), AuthError> {
        self.check(api_key, access_token)?;
        self.tokens().access.remove(access_token);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_token_is_single_use_and_needs_the_right_checksum() {
        let secret = SecretString::from("s3cret");
        let auth = SimAuth::new("key", secret.clone());
        let request = auth.issue_request_token();
        assert_eq!(
            auth.exchange("key", &request, "00"),
            Err(AuthError::BadChecksum)
        );
        let checksum = session_checksum("key", &request, &secret);
        let access = auth.exchange("key", &request, &checksum).unwrap();
        assert_eq!(
            auth.exchange("key", &request, &checksum),
            Err(AuthError::UnknownRequestToken)
        );
        assert!(auth.check("key", &access).is_ok());
        assert!(auth.check("other", &access).is_err());
        auth.invalidate("key", &access).unwrap();
        assert_eq!(
            auth.check("key", &access),
            Err(AuthError::InvalidAccessToken)
        );
    }
}
