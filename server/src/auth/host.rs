//! The `Host` a request names must be this server's: an IP address (any — a name is what DNS
//! rebinding needs: an attacker's name that first points at the attacker and then at this
//! machine, so their page's requests reach this server as same-origin), `localhost`, or a name
//! from `server.allowed_origins` (the addresses a proxy serves the app under). Anything else is
//! refused before it reaches a page or a server function — the first-run page of a fresh
//! install among them. The probes (`/health`, `/ready`) answer whatever the name, for load
//! balancers that ask by an internal one.

use axum::http::{HeaderMap, Uri, header};

/// Paths that answer under any name.
const ANY_NAME: [&str; 2] = ["/health", "/ready"];

/// The host names `allowed_origins` (`https://trade.example.in`, …) serve the app under.
pub fn allowed_names(allowed_origins: &[String]) -> Vec<String> {
    allowed_origins
        .iter()
        .filter_map(|origin| origin.split_once("://").map(|(_, rest)| rest))
        .map(|authority| name_of(authority).to_owned())
        .collect()
}

/// The host of `host[:port]` in lower case, without the port (and an IPv6 address without its
/// brackets).
fn name_of(authority: &str) -> String {
    osp_core::services::webhook_policy::authority_host(authority)
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// Why a request to `path` naming its host in `headers` (or `uri`, over HTTP/2) is refused.
pub fn host_problem(
    path: &str,
    uri: &Uri,
    headers: &HeaderMap,
    allowed: &[String],
) -> Option<String> {
    if ANY_NAME.contains(&path) {
        return None;
    }
    let authority = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()))?;
    let name = name_of(authority);
    let known =
        name.parse::<std::net::IpAddr>().is_ok() || name == "localhost" || allowed.contains(&name);
    (!known).then(|| {
        format!(
            "this server does not answer to the name {name}: open it by its address, or add https://{name} to server.allowed_origins"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(host: &str, allowed: &[&str]) -> Option<String> {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, host.parse().unwrap());
        let allowed: Vec<String> = allowed.iter().map(|s| (*s).to_owned()).collect();
        host_problem(
            "/api/auth/setup",
            &Uri::from_static("/"),
            &headers,
            &allowed_names(&allowed),
        )
    }

    #[test]
    fn addresses_localhost_and_the_configured_names_are_answered() {
        assert_eq!(problem("127.0.0.1:3000", &[]), None);
        assert_eq!(problem("192.168.1.20:3000", &[]), None);
        assert_eq!(problem("[::1]:3000", &[]), None);
        assert_eq!(problem("localhost:3000", &[]), None);
        assert_eq!(
            problem("Trade.Example.in", &["https://trade.example.in"]),
            None
        );
        assert_eq!(
            problem("trade.example.in.:443", &["https://trade.example.in:443"]),
            None
        );
        let refused = problem("rebind.attacker.example:3000", &[]).unwrap();
        assert!(refused.contains("server.allowed_origins"), "{refused}");
        assert!(problem("other.example.in", &["https://trade.example.in"]).is_some());
    }
}
