//! Test-only access to Zerodha's published responses (`kiteconnect-mocks`, see SOURCE.md in the
//! folder): a copy lives in this crate's `tests/fixtures/`, so a clean clone tests on its own;
//! `OSP_KITE_FIXTURES` points elsewhere (say, the team's `shared/kite-fixtures`) to test
//! against another set.

use std::path::PathBuf;

pub fn path(name: &str) -> PathBuf {
    let dir = std::env::var("OSP_KITE_FIXTURES")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures").to_owned());
    std::path::Path::new(&dir).join(name)
}

pub fn bytes(name: &str) -> Vec<u8> {
    let path = path(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the Kite fixture {}: {e}; set OSP_KITE_FIXTURES to the kite-fixtures folder",
            path.display()
        )
    })
}

pub fn text(name: &str) -> String {
    String::from_utf8(bytes(name)).expect("fixture is UTF-8")
}
