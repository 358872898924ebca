//! Who may use what: the one table of every endpoint's access. The guard looks every request
//! up here, so an endpoint's rule cannot be forgotten in its handler; a server function without
//! a line here is refused to everyone (and the access matrix test names it).

use axum::http::Method;
use osp_core::model::Access;

/// Server functions, by endpoint (under `/api/`).
pub const SERVER_FUNCTIONS: &[(&str, Access)] = &[
    // Signing in works without a session.
    ("auth/me", Access::Public),
    ("auth/setup", Access::Public),
    ("auth/login", Access::Public),
    ("auth/logout", Access::SignedIn),
    ("auth/logout-everywhere", Access::SignedIn),
    ("auth/password", Access::SignedIn),
    ("auth/totp/begin", Access::SignedIn),
    ("auth/totp/confirm", Access::SignedIn),
    ("auth/totp/disable", Access::SignedIn),
    // Reading: every signed-in user, viewers included.
    ("status", Access::SignedIn),
    ("activity", Access::SignedIn),
    ("instruments/search", Access::SignedIn),
    ("instruments/chart", Access::SignedIn),
    ("alerts", Access::SignedIn),
    ("alerts/history", Access::SignedIn),
    ("kite-alerts", Access::SignedIn),
    ("kite-alerts/history", Access::SignedIn),
    // Reads Kite's list back now (as the sync worker does): it changes nothing at Kite.
    ("kite-alerts/sync", Access::SignedIn),
    // Each user's own notification centre: the newest items and how far they have read.
    ("notifications", Access::SignedIn),
    ("notifications/read", Access::SignedIn),
    ("levels", Access::SignedIn),
    ("levels/log", Access::SignedIn),
    ("orders", Access::SignedIn),
    ("trades", Access::SignedIn),
    // The broker's positions, each the app's or outside: what the Trades page shows too.
    ("account", Access::SignedIn),
    ("paper/account", Access::SignedIn),
    ("risk", Access::SignedIn),
    ("workers", Access::SignedIn),
    ("feed", Access::SignedIn),
    ("bus", Access::SignedIn),
    ("kite/status", Access::SignedIn),
    // A user's own watchlists are theirs to arrange, whatever the role: they trade nothing.
    ("watchlists", Access::SignedIn),
    ("watchlists/create", Access::SignedIn),
    ("watchlists/rename", Access::SignedIn),
    ("watchlists/delete", Access::SignedIn),
    ("watchlists/add", Access::SignedIn),
    ("watchlists/remove", Access::SignedIn),
    ("watchlists/move", Access::SignedIn),
    // Trading: anything that places, changes or cancels an order, or stops trading.
    ("levels/create", Access::Trader),
    ("levels/update", Access::Trader),
    ("levels/enable", Access::Trader),
    ("levels/delete", Access::Trader),
    ("levels/restore", Access::Trader),
    ("alerts/create", Access::Trader),
    ("alerts/update", Access::Trader),
    ("alerts/enable", Access::Trader),
    ("alerts/delete", Access::Trader),
    // An ATO alert at Kite places orders when it fires.
    ("kite-alerts/create", Access::Trader),
    ("kite-alerts/modify", Access::Trader),
    ("kite-alerts/delete", Access::Trader),
    ("kite-alerts/put-back", Access::Trader),
    ("kite-alerts/let-go", Access::Trader),
    ("levels/import", Access::Trader),
    ("orders/place", Access::Trader),
    ("orders/cancel", Access::Trader),
    ("orders/modify", Access::Trader),
    ("trades/exit", Access::Trader),
    // Makes a trade the monitor manages (and may place its stop order at the broker).
    ("account/adopt", Access::Trader),
    ("account/acknowledge", Access::Trader),
    ("account/exit-outside", Access::Trader),
    ("paper/reset", Access::Trader),
    ("risk/kill-switch", Access::Trader),
    // The limits guard the account against its traders: the admin sets and lifts them.
    ("risk/limits", Access::Admin),
    ("risk/release", Access::Admin),
    ("workers/restart", Access::Admin),
    ("kite/app", Access::Admin),
    ("webhook", Access::Admin),
    ("webhook/save", Access::Admin),
    ("webhook/remove", Access::Admin),
    ("webhook/test", Access::Admin),
    ("kite/disconnect", Access::Admin),
    ("users", Access::Admin),
    ("users/create", Access::Admin),
    ("users/update", Access::Admin),
    ("users/password", Access::Admin),
    ("users/sign-out", Access::Admin),
];

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
        if let Some((_, access)) = SERVER_FUNCTIONS.iter().find(|(e, _)| *e == endpoint) {
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
    if PUBLIC_PREFIXES
        .iter()
        .any(|prefix| path.starts_with(prefix))
    {
        return Rule::Needs(Access::Public);
    }
    Rule::Needs(Access::SignedIn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_no_endpoint_twice() {
        let mut seen = std::collections::BTreeSet::new();
        for (endpoint, _) in SERVER_FUNCTIONS {
            assert!(seen.insert(*endpoint), "{endpoint} is listed twice");
        }
    }

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
