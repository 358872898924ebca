//! Browsers an account has signed in from before: after each sign-in the browser gets a
//! long-lived cookie naming the user, sealed with the app's secret key (AES-GCM, so it cannot
//! be forged or altered). Signing in from such a browser skips the per-username attempt
//! allowance (`SignInThrottle`), so a stranger guessing at a username cannot keep its owner
//! out; the per-address limit still applies to everyone.

use axum::http::{HeaderMap, header};

use crate::secrets::SecretBox;

/// The cookie's name.
pub const COOKIE: &str = "osp_device";
/// How long a browser stays known after its last sign-in.
pub const KNOWN_FOR_MS: i64 = 180 * 24 * 3_600_000;
/// What a sealed value starts with (so no other sealed secret can pass for one).
const PURPOSE: &str = "device";

#[derive(Clone, Debug)]
pub struct KnownDevices {
    pub secrets: SecretBox,
    /// Served over TLS: the cookie is Secure.
    pub secure: bool,
}

impl KnownDevices {
    /// Whether the request's device cookie was issued to `username` within `KNOWN_FOR_MS`.
    pub fn recognises(&self, headers: &HeaderMap, username: &str, now_ms: i64) -> bool {
        device_cookies(headers).any(|value| {
            let Ok(plain) = self.secrets.open(&value) else {
                return false;
            };
            let plain = secrecy::ExposeSecret::expose_secret(&plain);
            let mut parts = plain.splitn(3, '\n');
            let (Some(PURPOSE), Some(issued), Some(name)) =
                (parts.next(), parts.next(), parts.next())
            else {
                return false;
            };
            let fresh = issued
                .parse::<i64>()
                .is_ok_and(|at| (0..KNOWN_FOR_MS).contains(&now_ms.saturating_sub(at)));
            fresh && name == username
        })
    }

    /// The `Set-Cookie` value that makes this browser known for `username` from `now_ms`.
    pub fn cookie(&self, username: &str, now_ms: i64) -> String {
        let sealed = self
            .secrets
            .seal(&format!("{PURPOSE}\n{now_ms}\n{username}"));
        let secure = if self.secure { "; Secure" } else { "" };
        format!(
            "{COOKIE}={sealed}; Max-Age={}; Path=/; HttpOnly; SameSite=Strict{secure}",
            KNOWN_FOR_MS / 1000
        )
    }
}

/// Every `osp_device` value the request carries (read by the `cookie` crate).
fn device_cookies(headers: &HeaderMap) -> impl Iterator<Item = String> + '_ {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(tower_sessions::cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .filter(|cookie| cookie.name() == COOKIE)
        .map(|cookie| cookie.value().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn devices() -> KnownDevices {
        KnownDevices {
            secrets: SecretBox::from_key(&[7; 32]),
            secure: true,
        }
    }

    fn request_with(cookie: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, cookie.parse().unwrap());
        headers
    }

    #[test]
    fn a_cookie_names_its_user_for_a_while_and_cannot_be_made_up() {
        let devices = devices();
        let set = devices.cookie("priya", 1_000);
        assert!(set.contains("HttpOnly") && set.contains("Secure"), "{set}");
        let value = set.split(';').next().unwrap();
        let headers = request_with(&format!("osp_session=x; {value}"));
        assert!(devices.recognises(&headers, "priya", 2_000));
        assert!(!devices.recognises(&headers, "admin", 2_000));
        assert!(!devices.recognises(&headers, "priya", 1_000 + KNOWN_FOR_MS));
        // Another key's cookie, or a plain one, is nobody's.
        let other = KnownDevices {
            secrets: SecretBox::from_key(&[8; 32]),
            secure: false,
        };
        assert!(!other.recognises(&headers, "priya", 2_000));
        assert!(!devices.recognises(&request_with("osp_device=priya"), "priya", 2_000));
        // Another sealed secret is not a device cookie.
        let sealed = devices.secrets.seal("priya");
        assert!(!devices.recognises(
            &request_with(&format!("osp_device={sealed}")),
            "priya",
            2_000
        ));
    }
}
