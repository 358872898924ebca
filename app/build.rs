//! Gives the build one id, `OSP_BUILD_ID`, shared by the server and the browser's wasm bundle:
//! a hash of the sources that shape the page (the core, the app, the hydrate entry) and of the
//! locked dependency versions. Both sides compile this crate from the same checkout, so a
//! server and a bundle built from one checkout carry the same id, however each was built; the
//! server checks the site's bundle against it at start-up, and the bundle checks the page
//! before it hydrates (`app::build_info`).

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

fn main() {
    let app = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = app
        .parent()
        .expect("the app crate sits in the workspace")
        .to_path_buf();
    let inputs = [
        root.join("src"),
        app.join("src"),
        root.join("frontend/src"),
        root.join("Cargo.lock"),
    ];
    let mut files = Vec::new();
    for input in &inputs {
        println!("cargo:rerun-if-changed={}", input.display());
        collect(input, &mut files);
    }
    files.sort();
    let mut hash = Sha256::new();
    for file in &files {
        let name = file.strip_prefix(&root).unwrap_or(file);
        hash.update(name.to_string_lossy().as_bytes());
        hash.update([0]);
        hash.update(fs::read(file).unwrap_or_default());
        hash.update([0]);
    }
    let digest = hash.finalize();
    let id: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    println!("cargo:rustc-env=OSP_BUILD_ID={id}");
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_file() {
        out.push(path.to_path_buf());
    } else if let Ok(entries) = fs::read_dir(path) {
        for entry in entries.flatten() {
            collect(&entry.path(), out);
        }
    }
}
