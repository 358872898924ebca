//! Who may call which server function: the one table, by endpoint (under `/api/`). The
//! server's guard looks each request up here before it reaches a server function, and each
//! server function checks it again itself (`api::serve`), because a page rendered on the server
//! calls its server functions directly, not over HTTP: without the second check a viewer's
//! `GET /settings` would carry what only an admin may read. Server-only.

use osp_core::model::Access;

use crate::error::AppError;

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

/// Server functions that read from Kite: each user has a budget for them
/// (`KITE_READS_PER_MINUTE` after a burst of `KITE_READS_BURST`), so one user's reloads cannot
/// spend the account's shared Kite rate budget that orders, cancels and the kill switch need.
pub const KITE_READS: [&str; 2] = ["kite-alerts/sync", "instruments/chart"];
pub const KITE_READS_PER_MINUTE: u32 = 30;
pub const KITE_READS_BURST: u32 = 10;

/// The budgets of Kite reads, per user (one per server: in `AppState`).
pub struct KiteReadBudgets(governor::DefaultKeyedRateLimiter<i64>);

impl Default for KiteReadBudgets {
    fn default() -> Self {
        use governor::{Quota, RateLimiter};
        use std::num::NonZeroU32;
        let per_minute = NonZeroU32::new(KITE_READS_PER_MINUTE).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(KITE_READS_BURST).unwrap_or(NonZeroU32::MIN);
        KiteReadBudgets(RateLimiter::keyed(
            Quota::per_minute(per_minute).allow_burst(burst),
        ))
    }
}

impl KiteReadBudgets {
    /// `Err` with how long to wait when this request's user has spent their budget for
    /// `endpoint` (only the `KITE_READS` count).
    pub fn take(&self, endpoint: &str) -> Result<(), AppError> {
        use governor::clock::{Clock as _, DefaultClock};
        if !KITE_READS.contains(&endpoint) {
            return Ok(());
        }
        let user = crate::auth::signed_in()?;
        if self.0.len() > 10_000 {
            self.0.retain_recent();
        }
        self.0.check_key(&user.id.0).map_err(|not_until| {
            let wait = not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                .max(1);
            AppError::TooManyRequests(format!(
                "reads from Kite are limited to {KITE_READS_PER_MINUTE} a minute per user, so orders and cancels keep Kite's rate budget; try again in {wait} s"
            ))
        })
    }
}

/// The rule for `endpoint`, if it has one.
pub fn rule(endpoint: &str) -> Option<Access> {
    SERVER_FUNCTIONS
        .iter()
        .find(|(e, _)| *e == endpoint)
        .map(|(_, access)| *access)
}

/// Whether this request's user may call `endpoint`: `Ok` or the 401/403 that says why not. An
/// endpoint without a line is refused to everyone.
pub fn check(endpoint: &str) -> Result<(), AppError> {
    let Some(access) = rule(endpoint) else {
        tracing::error!(
            endpoint,
            "a server function has no access rule; refused to everyone"
        );
        return Err(AppError::Forbidden(
            "this endpoint has no access rule yet, so it is refused".to_owned(),
        ));
    };
    if access == Access::Public {
        return Ok(());
    }
    let user = crate::auth::signed_in()?;
    if user.role.allows(access) {
        return Ok(());
    }
    Err(AppError::Forbidden(refusal(user.role, access)))
}

/// What a user whose role does not allow `access` is told.
pub fn refusal(role: osp_core::model::Role, access: Access) -> String {
    let needs = match access {
        Access::Admin => "an admin",
        _ => "a trader or an admin",
    };
    format!(
        "your role ({}) cannot do this: it needs {needs}",
        role.label().to_lowercase()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each server function's body checks the rule of its own endpoint: read from the source,
    /// every `#[server(endpoint = "x")]` is followed by `serve("x", …)` before the next one.
    #[test]
    fn every_server_function_checks_its_own_endpoint() {
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/src/api");
        let mut checked = 0;
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.ends_with("access.rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            let mut pieces = source.split("#[server(endpoint = \"").skip(1);
            for piece in pieces.by_ref() {
                let endpoint = piece.split('"').next().unwrap();
                // The body without spaces or line breaks, however it was formatted.
                let body: String = piece
                    .split("#[server(")
                    .next()
                    .unwrap()
                    .split_whitespace()
                    .collect();
                assert!(
                    body.contains(&format!("crate::api::serve(\"{endpoint}\",")),
                    "{}: the server function at {endpoint} does not run in serve(\"{endpoint}\", …)",
                    path.display()
                );
                assert!(rule(endpoint).is_some(), "{endpoint} has no access rule");
                checked += 1;
            }
        }
        assert!(checked >= SERVER_FUNCTIONS.len(), "only {checked} found");
    }

    #[test]
    fn the_table_has_no_endpoint_twice() {
        let mut seen = std::collections::BTreeSet::new();
        for (endpoint, _) in SERVER_FUNCTIONS {
            assert!(seen.insert(*endpoint), "{endpoint} is listed twice");
        }
    }
}
