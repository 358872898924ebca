//! Who may use what over HTTP: the routes' access here, the server functions' in the app's one
//! table (`app::api::access`, which each server function also checks itself, so a call made
//! while a page renders on the server meets the same rule). The guard looks every request up
//! here, so an endpoint's rule cannot be forgotten in its handler; a server function without a
//! line is refused to everyone (and the access matrix test names it).

use axum::http::Method;
use osp_core::model::Access;

/// HTTP routes outside the server functions and the pages.
pub const ROUTES: &[(&str, Access)] = &[
    ("/health", Access::Public),
    ("/ready", Access::Public),
    ("/login", Access::Public),
    ("/setup", Access::Public),
    ("/favicon.ico", Access::Public),
    ("/manifest.webmanifest", Access::Public),
    ("/sw.js", Access::Public),
    ("/levels/export.csv", Access::SignedIn),
    // Sends the browser to Kite's login page: the admin connects the account.
    ("/kite/connect", Access::Admin),
    // Kite's redirect back: cross-site, so without the session cookie; it is taken only with
    // a single-use state issued by /kite/connect (`kite_connection`).
    ("/kite/callback", Access::Public),
    // Kite's servers: no session, no Origin; taken only with a valid checksum.
    ("/kite/postback", Access::Public),
    (app::live::PRICES_WS_PATH, Access::SignedIn),
];

/// Routes whose callers are not browsers on the app's pages (Kite's servers), authenticated by
/// a checksum instead: the cross-site check does not apply to them.
pub const CHECKSUMMED: &[&str] = &["/kite/postback"];

/// Folders of static files anyone may fetch (the wasm, scripts, styles and icons; the login
/// page needs them).
pub const PUBLIC_PREFIXES: &[&str] = &["/pkg/", "/icons/"];

/// A path under one of the public folders.
pub fn is_public_file(path: &str) -> bool {
    PUBLIC_PREFIXES
        .iter()
        .any(|prefix| path.starts_with(prefix))
}

/// What a request to `path` needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    Needs(Access),
    /// A registered server function with no line in `SERVER_FUNCTIONS`: refused to everyone.
    Unlisted,
}

/// The rule for a request. Pages and anything unknown need a signed-in user (an unknown page
/// is the 404 page, after sign-in).
pub fn rule(method: &Method, path: &str) -> Rule {
    if let Some(endpoint) = path.strip_prefix("/api/") {
        if let Some((_, access)) = app::api::access::SERVER_FUNCTIONS
            .iter()
            .find(|(e, _)| *e == endpoint)
        {
            return Rule::Needs(*access);
        }
        let registered =
            leptos::server_fn::axum::server_fn_paths().any(|(p, m)| p == path && m == method);
        return if registered {
            Rule::Unlisted
        } else {
            // Not a server function: the API's JSON 404, after sign-in.
            Rule::Needs(Access::SignedIn)
        };
    }
    if let Some((_, access)) = ROUTES.iter().find(|(p, _)| *p == path) {
        return Rule::Needs(*access);
    }
    if is_public_file(path) {
        return Rule::Needs(Access::Public);
    }
    Rule::Needs(Access::SignedIn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_files_are_public_and_pages_need_a_session() {
        let get = Method::GET;
        assert_eq!(rule(&get, "/pkg/osp.wasm"), Rule::Needs(Access::Public));
        assert_eq!(
            rule(&get, "/icons/icon-192.png"),
            Rule::Needs(Access::Public)
        );
        assert_eq!(rule(&get, "/login"), Rule::Needs(Access::Public));
        assert_eq!(rule(&get, "/"), Rule::Needs(Access::SignedIn));
        assert_eq!(rule(&get, "/trades"), Rule::Needs(Access::SignedIn));
        assert_eq!(rule(&get, "/no/such/page"), Rule::Needs(Access::SignedIn));
        // A prefix is a folder, not a name that starts the same.
        assert_eq!(rule(&get, "/pkgx"), Rule::Needs(Access::SignedIn));
        assert_eq!(
            rule(&get, "/api/no-such-function"),
            Rule::Needs(Access::SignedIn)
        );
    }
}
