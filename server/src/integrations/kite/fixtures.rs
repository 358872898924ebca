//! Test-only access to Zerodha's published responses: the team's shared folder beside the
//! repository (`../shared/kite-fixtures`), or wherever `OSP_KITE_FIXTURES` points.

use std::path::PathBuf;

pub fn path(name: &str) -> PathBuf {
    let dir = std::env::var("OSP_KITE_FIXTURES").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/kite-fixtures").to_owned()
    });
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
