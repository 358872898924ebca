//! Cross-site request refusal. A request that can change something (any method but GET, HEAD
//! and OPTIONS) and every websocket upgrade must come from one of the app's own pages: its
//! `Origin` (or, without one, its `Referer`) must be the address the request was sent to, or one
//! of the configured `server.allowed_origins` (behind a proxy that rewrites the host). The
//! SameSite=Strict cookie already keeps the session off cross-site requests; this refuses them
//! outright, signed in or not.

use axum::http::{HeaderMap, Method, header};

/// Why a request was refused, for its 403 and the log.
pub fn cross_site_problem(
    method: &Method,
    headers: &HeaderMap,
    allowed: &[String],
) -> Option<String> {
    let upgrade = headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if safe && !upgrade {
        return None;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            headers
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .and_then(origin_of)
        });
    let Some(origin) = origin else {
        return Some(
            "this request has neither an Origin nor a Referer header, so it cannot be told \
             from a cross-site one: send it from the app's own pages"
                .to_owned(),
        );
    };
    let same_host = host.is_some_and(|host| {
        authority(&origin).is_some_and(|authority| authority.eq_ignore_ascii_case(host))
    });
    if same_host || allowed.iter().any(|a| a.eq_ignore_ascii_case(&origin)) {
        return None;
    }
    Some(format!(
        "a request from {origin} may not act on this app (cross-site requests are refused); \
         if the app is served under that address, add it to server.allowed_origins"
    ))
}

/// `https://host:port` of a URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty()).then(|| format!("{scheme}://{authority}"))
}

/// `host:port` of an origin (`null` and anything without a scheme have none).
fn authority(origin: &str) -> Option<&str> {
    let (scheme, authority) = origin.split_once("://")?;
    (matches!(scheme, "http" | "https") && !authority.is_empty() && !authority.contains('/'))
        .then_some(authority)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn reads_pass_and_same_origin_writes_pass() {
        let h = headers(&[(header::HOST, "127.0.0.1:3000")]);
        assert_eq!(cross_site_problem(&Method::GET, &h, &[]), None);
        let h = headers(&[
            (header::HOST, "127.0.0.1:3000"),
            (header::ORIGIN, "http://127.0.0.1:3000"),
        ]);
        assert_eq!(cross_site_problem(&Method::POST, &h, &[]), None);
        let h = headers(&[
            (header::HOST, "127.0.0.1:3000"),
            (header::REFERER, "http://127.0.0.1:3000/levels?x=1"),
        ]);
        assert_eq!(cross_site_problem(&Method::POST, &h, &[]), None);
    }

    #[test]
    fn cross_site_and_unmarked_writes_are_refused() {
        let evil = headers(&[
            (header::HOST, "127.0.0.1:3000"),
            (header::ORIGIN, "http://evil.example"),
        ]);
        assert!(
            cross_site_problem(&Method::POST, &evil, &[])
                .unwrap()
                .contains("evil.example")
        );
        let null = headers(&[(header::HOST, "127.0.0.1:3000"), (header::ORIGIN, "null")]);
        assert!(cross_site_problem(&Method::POST, &null, &[]).is_some());
        let bare = headers(&[(header::HOST, "127.0.0.1:3000")]);
        assert!(
            cross_site_problem(&Method::DELETE, &bare, &[])
                .unwrap()
                .contains("neither")
        );
        // Another port is another origin.
        let port = headers(&[
            (header::HOST, "127.0.0.1:3000"),
            (header::ORIGIN, "http://127.0.0.1:3001"),
        ]);
        assert!(cross_site_problem(&Method::POST, &port, &[]).is_some());
    }

    #[test]
    fn a_websocket_upgrade_is_checked_although_it_is_a_get() {
        let evil = headers(&[
            (header::HOST, "127.0.0.1:3000"),
            (header::UPGRADE, "websocket"),
            (header::ORIGIN, "http://evil.example"),
        ]);
        assert!(cross_site_problem(&Method::GET, &evil, &[]).is_some());
    }

    #[test]
    fn a_configured_origin_is_allowed() {
        let proxied = headers(&[
            (header::HOST, "10.0.0.5:3000"),
            (header::ORIGIN, "https://trade.example.in"),
        ]);
        let allowed = vec!["https://trade.example.in".to_owned()];
        assert_eq!(cross_site_problem(&Method::POST, &proxied, &allowed), None);
    }
}
