//! The account's Kite connection as the Settings page shows it: which Kite app (API key) it
//! uses, whether its secret is stored, and whose Kite session it holds. Never a secret.

use super::FieldProblem;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KiteStatus {
    /// The app runs on the in-process simulator (demo and paper mode today): "Connect Kite"
    /// logs in on the simulator's login page with its own app key.
    pub simulated: bool,
    /// The stored Kite app's API key, shown in full (not a secret: Kite puts it in login URLs).
    pub api_key: Option<String>,
    /// Whether an API secret is stored (encrypted); never the secret itself.
    pub has_secret: bool,
    /// The Kite user whose session the app holds, if connected.
    pub connected: Option<KiteSession>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KiteSession {
    pub user_id: String,
    pub user_name: String,
    /// Unix ms of the login.
    pub since_ms: i64,
}

/// What is wrong with an API key and secret as typed, per field (`api_key`, `api_secret`).
pub fn kite_credentials_problems(api_key: &str, api_secret: &str) -> Vec<FieldProblem> {
    let token = |text: &str| {
        (6..=64).contains(&text.len()) && text.chars().all(|c| c.is_ascii_alphanumeric())
    };
    let mut problems = Vec::new();
    if !token(api_key.trim()) {
        problems.push(FieldProblem::new(
            "api_key",
            "the API key is 6 to 64 letters and digits, as shown on developers.kite.trade",
        ));
    }
    if !token(api_secret.trim()) {
        problems.push(FieldProblem::new(
            "api_secret",
            "the API secret is 6 to 64 letters and digits, as shown on developers.kite.trade",
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_letters_and_digits() {
        assert!(kite_credentials_problems("abcd1234efgh", "s3cr3tvalue9").is_empty());
        let problems = kite_credentials_problems("ab", "has space in it");
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["api_key", "api_secret"]);
    }
}
