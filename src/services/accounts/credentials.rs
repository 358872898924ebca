//! What a username and a password must be. Each rule's message says what to change.

pub const MIN_PASSWORD_LEN: usize = 12;
/// Long passphrases are welcome; a megabyte is not (hashing it costs the server).
pub const MAX_PASSWORD_LEN: usize = 128;
const MIN_USERNAME_LEN: usize = 3;
const MAX_USERNAME_LEN: usize = 32;

/// Passwords people pick first; refused even when long enough.
const COMMON: [&str; 12] = [
    "password1234",
    "passwordpassword",
    "123456789012",
    "qwertyuiopas",
    "administrator",
    "letmein12345",
    "changeme1234",
    "welcome12345",
    "iloveyou1234",
    "zerodhakite1",
    "trading12345",
    "nifty5012345",
];

/// The username as stored: trimmed, lower case.
pub fn normalise_username(username: &str) -> String {
    username.trim().to_lowercase()
}

/// What is wrong with `username` (already normalised), if anything.
pub fn username_problem(username: &str) -> Option<String> {
    let length = username.chars().count();
    if !(MIN_USERNAME_LEN..=MAX_USERNAME_LEN).contains(&length) {
        return Some(format!(
            "a username has {MIN_USERNAME_LEN} to {MAX_USERNAME_LEN} characters"
        ));
    }
    if !username
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
    {
        return Some("a username uses only letters a–z, digits and . _ - (no spaces)".to_owned());
    }
    if !username.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Some("a username starts with a letter or a digit".to_owned());
    }
    None
}

/// What is wrong with `password` for `username`, if anything.
pub fn password_problem(password: &str, username: &str) -> Option<String> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_LEN {
        return Some(format!(
            "a password has at least {MIN_PASSWORD_LEN} characters (a few words make a good one)"
        ));
    }
    if length > MAX_PASSWORD_LEN {
        return Some(format!(
            "a password has at most {MAX_PASSWORD_LEN} characters"
        ));
    }
    let lower = password.to_lowercase();
    if !username.is_empty() && lower.contains(&normalise_username(username)) {
        return Some("a password must not contain the username".to_owned());
    }
    let mut distinct: Vec<char> = lower.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 5 {
        return Some(
            "a password needs at least 5 different characters (not one key held down)".to_owned(),
        );
    }
    if COMMON.contains(&lower.as_str()) {
        return Some(
            "that password is one of the first ones tried by attackers; pick another".to_owned(),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(normalise_username("  Asha.K "), "asha.k");
        assert_eq!(username_problem("asha.k"), None);
        assert_eq!(username_problem("trader_2"), None);
        assert!(username_problem("ab").unwrap().contains("3 to 32"));
        assert!(
            username_problem(&"a".repeat(33))
                .unwrap()
                .contains("3 to 32")
        );
        assert!(username_problem("asha k").unwrap().contains("no spaces"));
        assert!(username_problem("-asha").unwrap().contains("starts with"));
        assert!(username_problem("ásha").is_some());
    }

    #[test]
    fn passwords() {
        assert_eq!(password_problem("correct horse battery", "asha"), None);
        assert!(
            password_problem("short pass", "asha")
                .unwrap()
                .contains("at least 12")
        );
        assert!(
            password_problem(&"ab1!x".repeat(30), "asha")
                .unwrap()
                .contains("at most 128")
        );
        assert!(
            password_problem("my name is ASHA ok", "asha")
                .unwrap()
                .contains("username")
        );
        assert!(
            password_problem("aaaaaaaaaaaaaaaa", "asha")
                .unwrap()
                .contains("different")
        );
        assert!(
            password_problem("Password1234", "asha")
                .unwrap()
                .contains("attackers")
        );
        // Length counts characters, not bytes.
        assert!(
            password_problem("₹₹₹₹₹₹", "asha")
                .unwrap()
                .contains("at least 12")
        );
    }
}
