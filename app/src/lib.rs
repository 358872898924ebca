//! OS Platforms UI: the Leptos app (pages, components), its server functions (`api`), and the
//! live stream client. Server-only code sits behind the `ssr` feature; the browser build
//! (`hydrate`) never sees it.

pub mod api;
#[cfg(feature = "ssr")]
pub mod auth;
pub mod build_info;
pub mod components;
pub mod error;
pub mod live;
pub mod notify;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod state;
pub mod status_context;
pub mod typed;
pub mod user_context;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{Lazy, ParamSegment, SsrMode, StaticSegment};

use components::{NavBar, OfflineNotice, Toasts, TopBar};
use pages::routes::{
    AccountRoute, AlertsRoute, DashboardRoute, InstrumentRoute, LevelsRoute, OrdersRoute,
    SettingsRoute, TradesRoute, UsersRoute,
};
use pages::{LoginPage, NotFoundPage, SetupPage};

/// Applies the remembered theme before first paint, so a dark-theme user never sees a flash of
/// light. Kept tiny and inline: it must run before the wasm loads.
const THEME_BOOT: &str = "try{var t=localStorage.getItem('osp-theme');\
if(t==='light'||t==='dark'){document.documentElement.dataset.theme=t}}catch(e){}";

/// Registers the service worker (offline app shell) without waiting for the wasm. The build id
/// names the worker's cache, so every new build replaces the old shell (its bundles are served
/// from the cache first: a cache named by the package version kept an old bundle after an
/// upgrade, beside the new pages).
const SW_BOOT: &str = concat!(
    "if('serviceWorker' in navigator){window.addEventListener('load',function(){",
    "navigator.serviceWorker.register('/sw.js?v=",
    env!("OSP_BUILD_ID"),
    "').catch(function(e){console.warn('service worker',e)})})}"
);

/// The page's Content-Security-Policy: scripts only from the site or carrying this page's
/// nonce (the boot scripts, the hydration script, streamed resources), wasm allowed to compile,
/// no plug-ins, no framing, forms and connections only to the site itself.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         font-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    let nonce = leptos::nonce::use_nonce();
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(response)) = (
        nonce.as_ref(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) && let Ok(value) = page_csp(nonce).parse()
    {
        response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover"/>
                <meta name="description" content="OS Platforms: level-based trading for Kite Connect"/>
                <meta name="theme-color" content="#0b1220"/>
                <meta name=build_info::META_NAME content=build_info::BUILD_ID/>
                <link rel="manifest" href="/manifest.webmanifest"/>
                <link rel="icon" href="/favicon.ico" sizes="32x32"/>
                <link rel="icon" type="image/png" sizes="192x192" href="/icons/icon-192.png"/>
                <link rel="apple-touch-icon" href="/icons/icon-180.png"/>
                <script nonce=nonce.clone() inner_html=THEME_BOOT></script>
                <script nonce=nonce inner_html=SW_BOOT></script>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            {body()}
        </html>
    }
}

/// The page's body: the app alone, exactly as the browser hydrates it (hydration starts at the
/// body's first child, so not even an empty placeholder may stand before the app); with a
/// banner first when the site's browser code is missing or from another build (found at
/// start-up and logged there too) — such a page cannot hydrate anyway.
fn body() -> AnyView {
    #[cfg(feature = "ssr")]
    let problem = use_context::<state::AppState>().and_then(|s| s.bundle.page_notice());
    #[cfg(not(feature = "ssr"))]
    let problem: Option<String> = None;
    match problem {
        None => view! { <body><App/></body> }.into_any(),
        Some(problem) => view! {
            <body>
                <div class="build-banner" role="alert" data-testid="build-mismatch">{problem}</div>
                <App/>
            </body>
        }
        .into_any(),
    }
}

/// The path this page load is for (the same on the server and in the browser, so both render
/// the same layout).
fn page_path() -> String {
    #[cfg(feature = "ssr")]
    {
        use_context::<axum::http::request::Parts>()
            .map(|p| p.uri.path().to_owned())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        web_sys::window()
            .and_then(|w| w.location().pathname().ok())
            .unwrap_or_default()
    }
}

/// The sign-in and first-run pages stand alone: no market stream, no status, no navigation
/// (none of which a visitor without a session may read). Moving between them and the app is a
/// full page load.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let path = page_path();
    if path == "/login" || path == "/setup" {
        return view! {
            <Stylesheet id="leptos" href="/pkg/osp.css"/>
            <Router>
                <Routes fallback=|| view! { <NotFoundPage/> }>
                    <Route path=StaticSegment("login") view=LoginPage/>
                    <Route path=StaticSegment("setup") view=SetupPage/>
                </Routes>
            </Router>
            <build_info::Hydrated/>
        }
        .into_any();
    }
    signed_in_app().into_any()
}

/// Every route renders in order: the first HTML holds the mode badge and the prices, complete,
/// before any script runs (a trader on a slow phone link sees real numbers at once).
fn signed_in_app() -> impl IntoView {
    live::provide_market_stream();
    status_context::provide_status();
    user_context::provide_user();

    view! {
        <Stylesheet id="leptos" href="/pkg/osp.css"/>
        <Router>
            <div class="shell">
                <TopBar/>
                <OfflineNotice/>
                <Toasts/>
                <div class="frame">
                    <NavBar/>
                    <main class="content">
                        <Routes fallback=|| view! { <NotFoundPage/> }>
                            <Route path=StaticSegment("") ssr=SsrMode::InOrder view={Lazy::<DashboardRoute>::new()}/>
                            <Route
                                path=(StaticSegment("instrument"), ParamSegment("token"))
                                ssr=SsrMode::InOrder
                                view={Lazy::<InstrumentRoute>::new()}
                            />
                            <Route path=StaticSegment("levels") ssr=SsrMode::InOrder view={Lazy::<LevelsRoute>::new()}/>
                            <Route path=StaticSegment("alerts") ssr=SsrMode::InOrder view={Lazy::<AlertsRoute>::new()}/>
                            <Route path=StaticSegment("orders") ssr=SsrMode::InOrder view={Lazy::<OrdersRoute>::new()}/>
                            <Route path=StaticSegment("trades") ssr=SsrMode::InOrder view={Lazy::<TradesRoute>::new()}/>
                            <Route path=StaticSegment("account") ssr=SsrMode::InOrder view={Lazy::<AccountRoute>::new()}/>
                            <Route path=StaticSegment("settings") ssr=SsrMode::InOrder view={Lazy::<SettingsRoute>::new()}/>
                            <Route path=StaticSegment("users") ssr=SsrMode::InOrder view={Lazy::<UsersRoute>::new()}/>
                            // Served by the bare tree in `App`; listed here too so the route
                            // list the server registers (made from this tree) has them.
                            <Route path=StaticSegment("login") view=LoginPage/>
                            <Route path=StaticSegment("setup") view=SetupPage/>
                        </Routes>
                    </main>
                </div>
            </div>
        </Router>
    }
}
