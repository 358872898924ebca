//! The site's browser code must come from the server's own build: otherwise pages never come
//! alive. The server names a missing or foreign bundle on every page (and in its log) instead
//! of leaving the page silently dead.

use crate::helpers::spawn_app_with;

/// A site folder whose wasm bundle holds `wasm` (or none at all).
fn site(wasm: Option<&[u8]>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::create_dir(dir.path().join("pkg")).expect("pkg/");
    if let Some(bytes) = wasm {
        std::fs::write(dir.path().join("pkg/osp.wasm"), bytes).expect("the bundle");
    }
    dir
}

async fn page_with_site(site: &tempfile::TempDir) -> String {
    let root = site.path().display().to_string();
    let app = spawn_app_with(&[("OSP__SERVER__SITE_ROOT", root.as_str())]).await;
    let response = app.client.get(app.url("/")).send().await.expect("the page");
    assert_eq!(response.status(), 200);
    let html = response.text().await.expect("HTML");
    app.stop().await;
    html
}

#[tokio::test]
async fn a_bundle_from_another_build_is_named_on_the_page() {
    let foreign = site(Some(b"\0asm....osp-build-id:00000000000000ff;...."));
    let html = page_with_site(&foreign).await;
    assert!(html.contains(r#"data-testid="build-mismatch""#), "{html}");
    assert!(html.contains("from build 00000000000000ff"), "{html}");
    assert!(html.contains(app::build_info::BUILD_ID), "{html}");
    assert!(html.contains("cargo leptos build --release"), "{html}");
    // Anyone may read the page: it names the site's file, never the server's own path.
    let root = foreign.path().display().to_string();
    assert!(!html.contains(&root), "{html}");
}

#[tokio::test]
async fn a_missing_bundle_is_named_on_the_page() {
    let empty = site(None);
    let html = page_with_site(&empty).await;
    assert!(html.contains(r#"data-testid="build-mismatch""#), "{html}");
    assert!(html.contains("browser code is missing"), "{html}");
}

#[tokio::test]
async fn a_bundle_of_this_build_gets_no_banner_and_the_page_names_its_build() {
    let mut bytes = b"\0asm....".to_vec();
    bytes.extend_from_slice(app::build_info::BUILD_MARKER.as_bytes());
    let ours = site(Some(&bytes));
    let html = page_with_site(&ours).await;
    assert!(!html.contains("build-mismatch"), "{html}");
    assert!(
        html.contains(&format!(
            r#"<meta name="osp-build" content="{}""#,
            app::build_info::BUILD_ID
        )),
        "{html}"
    );
}
