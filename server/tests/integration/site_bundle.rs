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

/// What a browser that accepts `encoding` (or none) is sent for `/pkg/osp.wasm`: its
/// `content-encoding` and body.
async fn bundle_sent(app: &crate::helpers::TestApp, encoding: Option<&str>) -> (String, Vec<u8>) {
    let mut request = app.client.get(app.url("/pkg/osp.wasm"));
    if let Some(encoding) = encoding {
        request = request.header("accept-encoding", encoding);
    }
    let response = request.send().await.expect("the bundle");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/wasm");
    let sent_as = response
        .headers()
        .get("content-encoding")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (sent_as, response.bytes().await.expect("its bytes").to_vec())
}

#[tokio::test]
async fn the_bundle_goes_compressed_to_a_browser_that_accepts_it_unless_the_compressed_one_is_stale()
 {
    let mut wasm = b"\0asm....".to_vec();
    wasm.extend_from_slice(app::build_info::BUILD_MARKER.as_bytes());
    let ours = site(Some(&wasm));
    let pkg = ours.path().join("pkg");
    std::fs::write(pkg.join("osp.wasm.br"), b"brotli of the bundle").unwrap();
    std::fs::write(pkg.join("osp.wasm.gz"), b"gzip of the bundle").unwrap();
    let root = ours.path().display().to_string();
    let app = spawn_app_with(&[("OSP__SERVER__SITE_ROOT", root.as_str())]).await;
    let chromium = "gzip, deflate, br, zstd";
    assert_eq!(
        bundle_sent(&app, Some(chromium)).await,
        ("br".to_owned(), b"brotli of the bundle".to_vec())
    );
    assert_eq!(
        bundle_sent(&app, Some("gzip")).await,
        ("gzip".to_owned(), b"gzip of the bundle".to_vec())
    );
    assert_eq!(bundle_sent(&app, None).await, (String::new(), wasm.clone()));
    app.stop().await;

    // The bundle rebuilt after its compressed siblings were written: they hold another
    // build's code, so the bundle goes as it is.
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(pkg.join("osp.wasm"))
        .unwrap()
        .set_modified(later)
        .unwrap();
    let app = spawn_app_with(&[("OSP__SERVER__SITE_ROOT", root.as_str())]).await;
    assert_eq!(
        bundle_sent(&app, Some(chromium)).await,
        (String::new(), wasm)
    );
    app.stop().await;
}
