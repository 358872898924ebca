//! Kite credentials. The API key is public (it appears in login URLs); the API secret and the
//! access token are `SecretString`s, so they cannot reach a log line or an error message by
//! accident. The session checksum is computed here and nowhere else.

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// `SHA-256(api_key + request_token + api_secret)` in lowercase hex: what `POST /session/token`
/// expects as `checksum`.
pub fn session_checksum(api_key: &str, request_token: &str, api_secret: &SecretString) -> String {
    let mut hasher = Sha256::new();
    hasher.update(api_key.as_bytes());
    hasher.update(request_token.as_bytes());
    hasher.update(api_secret.expose_secret().as_bytes());
    hex::encode(hasher.finalize())
}

/// `Authorization: token api_key:access_token`, marked sensitive so HTTP-level debug output
/// redacts it.
pub fn authorization(api_key: &str, access_token: &SecretString) -> Option<HeaderValue> {
    let mut value =
        HeaderValue::from_str(&format!("token {api_key}:{}", access_token.expose_secret())).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// Parses an `Authorization` header value into `(api_key, access_token)`; the simulator's
/// side of the same rule.
pub fn parse_authorization(value: &str) -> Option<(&str, &str)> {
    let rest = value.strip_prefix("token ")?;
    let (key, token) = rest.split_once(':')?;
    (!key.is_empty() && !token.is_empty()).then_some((key, token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checksum_is_sha256_of_key_token_and_secret() {
        // printf 'abcdefrequest123secret' | sha256sum
        let secret = SecretString::from("secret");
        assert_eq!(
            session_checksum("abcdef", "request123", &secret),
            "be07f092d925d56d3389e7d1e7e882ef0987c5b7813506e2278b2c50b1e2b476"
        );
    }

    #[test]
    fn the_authorization_header_round_trips_and_is_sensitive() {
        let header = authorization("key1", &SecretString::from("tok2")).unwrap();
        assert!(header.is_sensitive());
        assert_eq!(
            parse_authorization(header.to_str().unwrap()),
            Some(("key1", "tok2"))
        );
        assert_eq!(parse_authorization("token :x"), None);
        assert_eq!(parse_authorization("Bearer a:b"), None);
    }
}
