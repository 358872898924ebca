//! The layer rules, read from the workspace's manifests (`cargo metadata`): the core takes no
//! web, database or runtime crate; the Kite client depends on neither the app nor the server;
//! nothing depends on the server; the simulator reaches the server's library only through the
//! demo wiring.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn metadata() -> Value {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(&workspace)
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// (dependency name, kind: "normal", "dev" or "build") of `package`.
fn dependencies(metadata: &Value, package: &str) -> Vec<(String, String)> {
    let found = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == package)
        .unwrap_or_else(|| panic!("the workspace has no package {package}"));
    found["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap().to_owned(),
                d["kind"].as_str().unwrap_or("normal").to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_core_takes_only_its_small_allowed_crates() {
    let metadata = metadata();
    // A new core dependency is a design decision: add it here with the reason in Cargo.toml.
    let allowed = ["async-trait", "serde", "thiserror", "rand", "futures"];
    for (name, kind) in dependencies(&metadata, "osp-core") {
        if kind == "normal" {
            assert!(
                allowed.contains(&name.as_str()),
                "osp-core depends on {name}: the core takes no web, database or runtime crate"
            );
        }
    }
}

#[test]
fn the_kite_client_depends_on_neither_app_nor_server() {
    let metadata = metadata();
    for (name, _) in dependencies(&metadata, "kite-connect") {
        assert!(
            !["app", "server", "kite-sim", "sqlx", "leptos", "axum"].contains(&name.as_str()),
            "kite-connect depends on {name}"
        );
    }
}

#[test]
fn nothing_depends_on_the_server_and_only_the_server_links_the_simulator() {
    let metadata = metadata();
    for package in metadata["packages"].as_array().unwrap() {
        let name = package["name"].as_str().unwrap();
        for (dep, kind) in dependencies(&metadata, name) {
            assert_ne!(dep, "server", "{name} depends on the server");
            if dep == "kite-sim" && kind == "normal" {
                assert_eq!(name, "server", "{name} links the simulator");
            }
        }
    }
}

#[test]
fn the_servers_library_reaches_the_simulator_only_through_the_demo_wiring() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut users = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && std::fs::read_to_string(&path).unwrap().contains("kite_sim")
            {
                users.push(path.strip_prefix(&src).unwrap().display().to_string());
            }
        }
    }
    users.sort();
    // main.rs is the binary (`osp kite-sim`), not the library.
    assert_eq!(users, ["kite/demo.rs", "main.rs"]);
}
