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

/// Whether a webhook may be sent to `ip` without the operator naming its host: only public
/// addresses. Loopback, private, shared (CGNAT), link-local (a cloud's metadata service at
/// 169.254.169.254), unspecified, multicast and broadcast addresses are inside someone's network,
/// and a webhook there would let whoever sets it probe it.
pub fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// The host of a URL `url_problem` accepted (lower case, without the port or an IPv6
/// address's brackets).
pub fn host_of(url: &str) -> String {
    let rest = url.trim().split_once("://").map_or("", |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority_host(authority).to_ascii_lowercase()
}

/// The host of an authority (`host:port`, `[v6]:port`): without the port and the brackets.
pub fn authority_host(authority: &str) -> &str {
    match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host),
    }
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

    #[test]
    fn only_public_addresses_take_a_webhook_unnamed() {
        let public = |text: &str| is_public(text.parse().unwrap());
        assert!(public("93.184.216.34"));
        assert!(public("2606:2800:220:1::1"));
        for inside in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(!public(inside), "{inside}");
        }
    }

    #[test]
    fn the_host_is_read_without_port_or_brackets() {
        assert_eq!(
            host_of("https://Hooks.Example.com:8443/x?y"),
            "hooks.example.com"
        );
        assert_eq!(host_of("http://[::1]:9000/in"), "::1");
        assert_eq!(host_of("http://169.254.169.254/latest"), "169.254.169.254");
    }
}
