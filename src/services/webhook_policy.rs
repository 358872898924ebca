//! The webhook's rules: which addresses can receive one, how many times a delivery is tried,
//! and how long to wait between tries. The sending (HTTP, the signature) is the server's.

/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: u32 = 6;
/// The longest wait between attempts.
pub const MAX_BACKOFF_MS: i64 = 300_000;

/// How long to wait after `attempts` failed attempts: 1 s, 2 s, 4 s… up to five minutes.
pub fn backoff_ms(attempts: u32) -> i64 {
    let exponent = attempts.saturating_sub(1).min(20);
    (1000_i64 << exponent).min(MAX_BACKOFF_MS)
}

/// What is wrong with `url` as a webhook, if anything.
pub fn url_problem(url: &str) -> Option<String> {
    let url = url.trim();
    let Some((scheme, rest)) = url.split_once("://") else {
        return Some(
            "the address starts with https:// (or http://), like https://hooks.example.com/osp"
                .to_owned(),
        );
    };
    if !matches!(scheme, "http" | "https") {
        return Some("only http:// and https:// addresses can receive a webhook".to_owned());
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.contains('@') || host.chars().any(char::is_whitespace) {
        return Some("the address needs a host, without a user name or spaces".to_owned());
    }
    if url.len() > 2000 {
        return Some("the address is too long (at most 2000 characters)".to_owned());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_up_to_five_minutes() {
        assert_eq!(backoff_ms(1), 1000);
        assert_eq!(backoff_ms(2), 2000);
        assert_eq!(backoff_ms(5), 16_000);
        assert_eq!(backoff_ms(30), 300_000);
    }

    #[test]
    fn only_http_addresses_with_a_host_are_taken() {
        assert!(url_problem("https://hooks.example.com/osp?k=1").is_none());
        assert!(url_problem("http://127.0.0.1:9000/in").is_none());
        assert!(url_problem("ftp://x").is_some());
        assert!(url_problem("hooks.example.com").is_some());
        assert!(url_problem("https://user:pw@host/").is_some());
        assert!(url_problem("https:///path").is_some());
        assert!(url_problem(&format!("https://h/{}", "a".repeat(2000))).is_some());
    }
}
