//! The README names configuration keys (`server.trusted_proxies`, `OSP__KITE__ENDPOINT`); every
//! one of them must be a key the settings have, or a newcomer follows it and start-up refuses
//! the unknown key.

use super::is_known_key;

/// The settings' sections: a backticked `section.name` with one of these is read as a key.
const SECTIONS: &[&str] = &[
    "server", "database", "log", "demo", "stream", "market", "trading", "paper", "metrics",
    "workers", "bus", "auth", "secrets", "kite",
];

/// File names that look like keys (`paper.rs`, `metrics.rs`): not settings.
const FILE_ENDINGS: &[&str] = &[
    "rs", "ts", "js", "toml", "json", "sh", "css", "md", "sql", "csv", "html", "py", "db",
];

/// Each configuration key the text names, with the `## Heading` it stands under.
fn keys_named(readme: &str) -> Vec<(String, String)> {
    let mut heading = String::from("(top)");
    let mut found = Vec::new();
    for line in readme.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            heading = h.trim().to_string();
        }
        // `section.key` in backticks.
        for (i, span) in line.split('`').enumerate() {
            if i % 2 == 1
                && let Some((section, name)) = span.split_once('.')
                && SECTIONS.contains(&section)
                && !name.is_empty()
                && !FILE_ENDINGS.contains(&name)
                && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            {
                found.push((heading.clone(), span.to_string()));
            }
        }
        // OSP__SECTION__KEY (or OSP__MODE) anywhere.
        let mut rest = line;
        while let Some(at) = rest.find("OSP__") {
            let tail = &rest[at + 5..];
            let end = tail
                .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
                .unwrap_or(tail.len());
            let key = tail[..end]
                .trim_end_matches('_')
                .to_lowercase()
                .replace("__", ".");
            // `OSP__SECTION__KEY` is how the README spells the pattern itself.
            if !key.is_empty() && key != "section.key" {
                found.push((heading.clone(), key));
            }
            rest = &tail[end..];
        }
    }
    found
}

#[test]
fn every_key_the_readme_names_is_a_setting() {
    let readme = include_str!("../../../README.md");
    let named = keys_named(readme);
    assert!(
        named.len() > 40,
        "the README's keys were not found ({}): the scan is broken",
        named.len()
    );
    let unknown: Vec<String> = named
        .iter()
        .filter(|(_, key)| !is_known_key(key))
        .map(|(heading, key)| format!("`{key}` under \"## {heading}\""))
        .collect();
    assert!(
        unknown.is_empty(),
        "the README names keys the settings do not have: {}",
        unknown.join(", ")
    );
}

#[test]
fn the_scan_finds_keys_in_both_spellings_and_the_check_refuses_made_up_ones() {
    let text = "## Modes\nSet `kite.endpoint` or OSP__SERVER__TRUSTED_PROXIES=127.0.0.1, \
                not `app.rs` nor `paper.rs`.\n## Other\n`auth.lockout_hours`\n";
    let named = keys_named(text);
    assert_eq!(
        named,
        vec![
            ("Modes".to_string(), "kite.endpoint".to_string()),
            ("Modes".to_string(), "server.trusted_proxies".to_string()),
            ("Other".to_string(), "auth.lockout_hours".to_string()),
        ]
    );
    assert!(is_known_key("kite.endpoint"));
    assert!(is_known_key("server.trusted_proxies"));
    assert!(is_known_key("bus.url"));
    assert!(is_known_key("mode"));
    assert!(is_known_key("profile"));
    assert!(!is_known_key("auth.lockout_hours"));
    assert!(!is_known_key("server"));
    assert!(!is_known_key("kite.endpont"));
}
