//! Which build the page and the browser's code come from. The server and the wasm bundle carry
//! one id (`OSP_BUILD_ID`, made by `app/build.rs` from the sources they share). A page names the
//! server's id in `<meta name="osp-build">`; the bundle compares it with its own before it
//! hydrates, and the server reads the bundle's id out of the site's `.wasm` at start-up. A
//! mismatch is said on the page instead of leaving it silently un-hydrated.

/// This build's id: 16 hex digits.
pub const BUILD_ID: &str = env!("OSP_BUILD_ID");

/// How the id is written into the wasm bundle, so the server can find it in the file's bytes.
pub const MARKER_PREFIX: &str = "osp-build-id:";

/// The marker as it stands in the bundle's data: prefix, id, `;`.
pub const BUILD_MARKER: &str = concat!("osp-build-id:", env!("OSP_BUILD_ID"), ";");

/// The `<meta>` a page names its build in.
pub const META_NAME: &str = "osp-build";

/// The build id written in a wasm bundle's bytes, if it has one.
pub fn bundle_build_id(bytes: &[u8]) -> Option<&str> {
    let prefix = MARKER_PREFIX.as_bytes();
    let at = bytes.windows(prefix.len()).position(|w| w == prefix)? + prefix.len();
    let rest = &bytes[at..];
    let end = rest.iter().position(|&b| b == b';')?;
    let id = std::str::from_utf8(&rest[..end]).ok()?;
    (id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())).then_some(id)
}

/// What the server found of the site's wasm bundle at start-up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BundleCheck {
    /// The bundle is from this build.
    Matches,
    /// No bundle where the page will ask for it.
    Missing { path: String },
    /// A bundle without a build id (made before ids, or not by this project).
    Unmarked { path: String },
    /// A bundle from another build.
    Foreign { path: String, bundle_id: String },
}

impl BundleCheck {
    /// What is wrong and how to fix it, or `None` when the bundle is from this build: for the
    /// server's log, naming the file where the server looked.
    pub fn problem(&self) -> Option<String> {
        self.described(|path| path)
    }

    /// The same for the page, which anyone may read (the sign-in page too): the file as the
    /// site names it, never the server's own path.
    pub fn page_notice(&self) -> Option<String> {
        self.described(|_| "the site's pkg/osp.wasm")
    }

    fn described<'a>(&'a self, shown: impl Fn(&'a str) -> &'a str) -> Option<String> {
        const FIX: &str = "build the server and its site together with `cargo leptos build \
                           --release` (or `scripts/run.sh`), or point `server.site_root` at the \
                           site built with this server";
        match self {
            BundleCheck::Matches => None,
            BundleCheck::Missing { path } => Some(format!(
                "The app's browser code is missing: there is no {}, so pages will not come \
                 alive (no live prices, no buttons). To fix: {FIX}.",
                shown(path)
            )),
            BundleCheck::Unmarked { path } => Some(format!(
                "The app's browser code at {} does not say which build it is from, so it is \
                 not from this server's build ({BUILD_ID}) and pages may not come alive. To fix: \
                 {FIX}.",
                shown(path)
            )),
            BundleCheck::Foreign { path, bundle_id } => Some(format!(
                "The app's browser code at {} is from build {bundle_id}, this server is \
                 build {BUILD_ID}: pages will not come alive. To fix: {FIX}.",
                shown(path)
            )),
        }
    }
}

/// The id this bundle was built with, read through the marker so the marker stays in the
/// compiled bundle for the server to find.
pub fn own_build_id() -> &'static str {
    let marker: &'static str = std::hint::black_box(BUILD_MARKER);
    marker
        .strip_prefix(MARKER_PREFIX)
        .and_then(|m| m.strip_suffix(';'))
        .unwrap_or(BUILD_ID)
}

/// In the browser, before hydrating: `Err` with what to tell the user when the page comes from
/// another build than this bundle (a page served by an upgraded server, a bundle kept by the
/// browser or its service worker from before), since hydrating it would fail half-way.
#[cfg(feature = "hydrate")]
pub fn check_page() -> Result<(), String> {
    let page_id = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| {
            d.query_selector(&format!("meta[name=\"{META_NAME}\"]"))
                .ok()
                .flatten()
        })
        .and_then(|m| m.get_attribute("content"));
    match page_id {
        Some(id) if id == own_build_id() => Ok(()),
        Some(id) => Err(format!(
            "This page is from build {id} but the app's code in your browser is from build {}: \
             reload the page. If this stays, the server and its site were built apart — rebuild \
             them together with `cargo leptos build --release`.",
            own_build_id()
        )),
        None => Err("This page does not say which build it is from: reload it.".to_string()),
    }
}

/// In the browser: shows `message` in a banner at the top of the page, with a reload button.
#[cfg(feature = "hydrate")]
pub fn show_banner(message: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(banner) = document.create_element("div") else {
        return;
    };
    banner.set_class_name("build-banner");
    let _ = banner.set_attribute("role", "alert");
    let _ = banner.set_attribute("data-testid", "build-mismatch");
    banner.set_text_content(Some(message));
    // A link to this page reloads it (an inline handler would be refused by the page's CSP).
    if let (Ok(link), Some(href)) = (
        document.create_element("a"),
        web_sys::window().and_then(|w| w.location().href().ok()),
    ) {
        let _ = link.set_attribute("href", &href);
        link.set_class_name("button");
        link.set_text_content(Some("Reload"));
        let _ = banner.append_child(&link);
    }
    if let Some(body) = document.body() {
        let _ = body.prepend_with_node_1(&banner);
    }
}

/// Marks the page hydrated (`mark_hydrated`) once everything rendered before it has hydrated:
/// placed last in a page, after the route's view — which, for a route whose code loads with it
/// (`pages::routes`), hydrates only once its chunk has arrived, after the rest of the page.
#[leptos::component]
pub fn Hydrated() -> impl leptos::IntoView {
    #[cfg(feature = "hydrate")]
    leptos::prelude::Effect::new(|_| mark_hydrated());
}

/// In the browser, once hydrated: `<html data-hydrated="true">`, for tests and for anyone asking
/// whether the page came alive.
#[cfg(feature = "hydrate")]
pub fn mark_hydrated() {
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("data-hydrated", "true");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_is_found_in_a_bundles_bytes() {
        let mut bytes = b"\0asm\x01\0\0\0 some data ".to_vec();
        bytes.extend_from_slice(BUILD_MARKER.as_bytes());
        bytes.extend_from_slice(b"more");
        assert_eq!(bundle_build_id(&bytes), Some(BUILD_ID));
        assert_eq!(own_build_id(), BUILD_ID);
        assert_eq!(BUILD_ID.len(), 16);
    }

    #[test]
    fn a_bundle_without_a_well_formed_marker_has_no_id() {
        assert_eq!(bundle_build_id(b"\0asm no marker here"), None);
        assert_eq!(bundle_build_id(b"osp-build-id:xyz;"), None);
        assert_eq!(bundle_build_id(b"osp-build-id:0123456789abcdef"), None);
        assert_eq!(
            bundle_build_id(b"osp-build-id:0123456789abcdef;"),
            Some("0123456789abcdef")
        );
    }

    #[test]
    fn the_page_never_shows_the_servers_own_path() {
        let foreign = BundleCheck::Foreign {
            path: "/home/trader/osp/target/site/pkg/osp.wasm".into(),
            bundle_id: "00000000000000ff".into(),
        };
        assert!(foreign.problem().unwrap().contains("/home/trader/osp"));
        let notice = foreign.page_notice().unwrap();
        assert!(!notice.contains("/home/trader"), "{notice}");
        assert!(notice.contains("00000000000000ff") && notice.contains("pkg/osp.wasm"));
        assert_eq!(BundleCheck::Matches.page_notice(), None);
    }

    #[test]
    fn every_problem_says_how_to_fix_it() {
        assert_eq!(BundleCheck::Matches.problem(), None);
        let foreign = BundleCheck::Foreign {
            path: "site/pkg/osp.wasm".into(),
            bundle_id: "0000000000000000".into(),
        }
        .problem()
        .unwrap();
        assert!(foreign.contains("0000000000000000") && foreign.contains(BUILD_ID));
        for problem in [
            foreign,
            BundleCheck::Missing { path: "x".into() }.problem().unwrap(),
            BundleCheck::Unmarked { path: "x".into() }
                .problem()
                .unwrap(),
        ] {
            assert!(
                problem.contains("cargo leptos build --release"),
                "{problem}"
            );
        }
    }
}
