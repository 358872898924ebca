//! Where Kite lives. Every URL the client uses is built from one `KiteEndpoints`, so the same
//! code talks to Zerodha or to the simulator on loopback.

use serde::Deserialize;

pub const KITE_API_ROOT: &str = "https://api.kite.trade";
pub const KITE_LOGIN_ROOT: &str = "https://kite.zerodha.com";
pub const KITE_TICKER_URL: &str = "wss://ws.kite.trade";

/// The three places Kite answers: REST, the login page, the ticker websocket.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct KiteEndpoints {
    /// REST root, without a trailing slash (`https://api.kite.trade`).
    pub api_root: String,
    /// Root of the login page (`https://kite.zerodha.com`): `/connect/login` is appended.
    pub login_root: String,
    /// The ticker websocket (`wss://ws.kite.trade`).
    pub ticker_url: String,
}

impl Default for KiteEndpoints {
    fn default() -> Self {
        Self {
            api_root: KITE_API_ROOT.into(),
            login_root: KITE_LOGIN_ROOT.into(),
            ticker_url: KITE_TICKER_URL.into(),
        }
    }
}

impl KiteEndpoints {
    /// All three at one address, as the simulator serves them (`http://127.0.0.1:PORT`).
    pub fn simulator(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        let ws = base
            .replacen("https://", "wss://", 1)
            .replacen("http://", "ws://", 1);
        Self {
            api_root: base.into(),
            login_root: base.into(),
            ticker_url: format!("{ws}/ws"),
        }
    }

    /// `…/connect/login?api_key=…&v=3`, where a user signs in. `redirect_params` are handed back
    /// to the redirect URL untouched (Kite's way to carry state through the login).
    pub fn login_url(&self, api_key: &str, redirect_params: Option<&str>) -> String {
        let mut url = format!(
            "{}/connect/login?v=3&api_key={}",
            self.login_root.trim_end_matches('/'),
            urlencode(api_key)
        );
        if let Some(params) = redirect_params {
            url.push_str("&redirect_params=");
            url.push_str(&urlencode(params));
        }
        url
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn urlencode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_urls_carry_the_key_version_and_escaped_state() {
        let e = KiteEndpoints::default();
        assert_eq!(
            e.login_url("abc", None),
            "https://kite.zerodha.com/connect/login?v=3&api_key=abc"
        );
        assert_eq!(
            e.login_url("abc", Some("next=/levels&x=1")),
            "https://kite.zerodha.com/connect/login?v=3&api_key=abc&redirect_params=next%3D%2Flevels%26x%3D1"
        );
        let sim = KiteEndpoints::simulator("http://127.0.0.1:9/");
        assert_eq!(sim.ticker_url, "ws://127.0.0.1:9/ws");
        assert_eq!(sim.api_root, "http://127.0.0.1:9");
    }
}
