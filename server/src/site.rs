//! Where the built site lives and the `LeptosOptions` that point at it. The server never
//! depends on the working directory for its assets: without a configured site root it looks
//! next to its own binary (`target/release/osp` → `target/site`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use app::build_info::{self, BundleCheck};
use leptos::config::{Env, LeptosOptions};
use tower_http::services::ServeDir;

/// The name cargo-leptos gives the wasm, js and css bundles (`[[workspace.metadata.leptos]]`).
pub const OUTPUT_NAME: &str = "osp";

pub fn resolve_site_root(configured: Option<&Path>) -> PathBuf {
    if let Some(path) = configured {
        return path.to_path_buf();
    }
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        for candidate in [dir.join("site"), dir.join("../site")] {
            if candidate.join("pkg").is_dir() {
                return candidate.canonicalize().unwrap_or(candidate);
            }
        }
    }
    PathBuf::from("target/site")
}

/// The wasm file the hydration script asks for. Leptos decides its name when it is compiled:
/// `osp.wasm` when `LEPTOS_OUTPUT_NAME` was set (cargo-leptos sets it, and so does the
/// workspace's `.cargo/config.toml` for every other build), `osp_bg.wasm` when not — a name
/// cargo-leptos never writes. This crate compiles with the same environment as leptos.
pub fn wasm_file() -> String {
    if option_env!("LEPTOS_OUTPUT_NAME").is_some() {
        format!("{OUTPUT_NAME}.wasm")
    } else {
        format!("{OUTPUT_NAME}_bg.wasm")
    }
}

/// Whether the site's wasm bundle is the one this server's pages will load and is from this
/// server's build: a server and a bundle from different builds make pages that never come alive.
pub fn check_bundle(site_root: &Path) -> BundleCheck {
    let path = site_root.join("pkg").join(wasm_file());
    let shown = path.display().to_string();
    match std::fs::read(&path) {
        Err(_) => BundleCheck::Missing { path: shown },
        Ok(bytes) => match build_info::bundle_build_id(&bytes) {
            None => BundleCheck::Unmarked { path: shown },
            Some(id) if id == build_info::BUILD_ID => BundleCheck::Matches,
            Some(id) => BundleCheck::Foreign {
                path: shown,
                bundle_id: id.to_string(),
            },
        },
    }
}

/// The built bundles under `/pkg` (the wasm, its script, the stylesheet). To a browser that
/// accepts them, each goes as its brotli or gzip sibling (`osp.wasm.br`, `osp.wasm.gz`, written
/// once per build by `scripts/setup.sh`'s `build_release`): the wasm is 3.7 MB as it is and
/// about 1 MB in brotli, which on a phone's network is seconds. A sibling older than its file
/// (a bundle rebuilt without them) would hand the browser another build's code, so then none
/// is used and the files go as they are.
pub fn bundles_service(site_root: &Path) -> ServeDir {
    let dir = site_root.join("pkg");
    let stale = stale_siblings(&dir);
    let serve = ServeDir::new(&dir);
    if stale.is_empty() {
        serve.precompressed_br().precompressed_gzip()
    } else {
        tracing::warn!(
            pkg = %dir.display(),
            stale = %stale.join(", "),
            "compressed bundles older than the bundles they compress: serving the bundles \
             uncompressed; rebuild with scripts/run.sh (or run build_release in scripts/setup.sh)"
        );
        serve
    }
}

/// The `.br` / `.gz` files in `dir` whose file is missing or newer than they are.
fn stale_siblings(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let mut stale = Vec::new();
    for entry in entries.flatten() {
        let sibling = entry.path();
        if !sibling.extension().is_some_and(|e| e == "br" || e == "gz") {
            continue;
        }
        let source = sibling.with_extension("");
        match (modified(&source), modified(&sibling)) {
            (Some(made_from), Some(made)) if made >= made_from => {}
            _ => stale.push(entry.file_name().to_string_lossy().into_owned()),
        }
    }
    stale.sort();
    stale
}

pub fn leptos_options(site_root: &Path, addr: SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .site_root(site_root.display().to_string())
        .site_pkg_dir("pkg")
        .env(Env::PROD)
        .site_addr(addr)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compressed_bundle_older_than_its_bundle_is_stale() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, age_s: u64| {
            let path = dir.path().join(name);
            std::fs::write(&path, name).unwrap();
            let when = std::time::SystemTime::now() - std::time::Duration::from_secs(age_s);
            std::fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(when)
                .unwrap();
        };
        write("osp.wasm", 100);
        write("osp.wasm.br", 50);
        write("osp.wasm.gz", 50);
        write("osp.css", 10);
        assert!(stale_siblings(dir.path()).is_empty());
        // The wasm rebuilt after its siblings were written; a sibling of nothing.
        write("osp.wasm", 5);
        write("gone.js.gz", 1);
        assert_eq!(
            stale_siblings(dir.path()),
            ["gone.js.gz", "osp.wasm.br", "osp.wasm.gz"]
        );
        assert!(stale_siblings(&dir.path().join("no-such-dir")).is_empty());
    }

    fn site_with(wasm: Option<&[u8]>) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("pkg")).unwrap();
        if let Some(bytes) = wasm {
            std::fs::write(dir.path().join("pkg").join(wasm_file()), bytes).unwrap();
        }
        dir
    }

    #[test]
    fn this_builds_bundle_matches_and_any_other_is_named() {
        // Built from this checkout, with or without cargo-leptos, the page asks for osp.wasm.
        assert_eq!(wasm_file(), "osp.wasm");

        let ours = site_with(Some(
            format!("\0asm..{}..", build_info::BUILD_MARKER).as_bytes(),
        ));
        assert_eq!(check_bundle(ours.path()), BundleCheck::Matches);

        let other = site_with(Some(b"\0asm..osp-build-id:00000000000000ff;.."));
        match check_bundle(other.path()) {
            BundleCheck::Foreign { bundle_id, path } => {
                assert_eq!(bundle_id, "00000000000000ff");
                assert!(path.ends_with("osp.wasm"), "{path}");
            }
            other => panic!("expected a foreign bundle, got {other:?}"),
        }

        let unmarked = site_with(Some(b"\0asm plain"));
        assert!(matches!(
            check_bundle(unmarked.path()),
            BundleCheck::Unmarked { .. }
        ));

        let none = site_with(None);
        assert!(matches!(
            check_bundle(none.path()),
            BundleCheck::Missing { .. }
        ));
    }
}
