//! OS Platforms UI: the Leptos app (pages, components), its server functions (`api`), and the
//! live stream client. Server-only code sits behind the `ssr` feature; the browser build
//! (`hydrate`) never sees it.

pub mod api;
pub mod components;
pub mod error;
pub mod live;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod state;
mod status_context;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{ParamSegment, SsrMode, StaticSegment};

use components::{NavBar, OfflineNotice, Toasts, TopBar};
use pages::{
    AlertsPage, DashboardPage, InstrumentPage, LevelsPage, NotFoundPage, OrdersPage, SettingsPage,
    TradesPage,
};

/// Applies the remembered theme before first paint, so a dark-theme user never sees a flash of
/// light. Kept tiny and inline: it must run before the wasm loads.
const THEME_BOOT: &str = "try{var t=localStorage.getItem('osp-theme');\
if(t==='light'||t==='dark'){document.documentElement.dataset.theme=t}}catch(e){}";

/// Registers the service worker (offline app shell) without waiting for the wasm. The version
/// names the worker's cache, so a new release replaces the old shell.
const SW_BOOT: &str = concat!(
    "if('serviceWorker' in navigator){window.addEventListener('load',function(){",
    "navigator.serviceWorker.register('/sw.js?v=",
    env!("CARGO_PKG_VERSION"),
    "').catch(function(e){console.warn('service worker',e)})})}"
);

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover"/>
                <meta name="description" content="OS Platforms: level-based trading for Kite Connect"/>
                <meta name="theme-color" content="#0b1220"/>
                <link rel="manifest" href="/manifest.webmanifest"/>
                <link rel="icon" href="/favicon.ico" sizes="32x32"/>
                <link rel="icon" type="image/png" sizes="192x192" href="/icons/icon-192.png"/>
                <link rel="apple-touch-icon" href="/icons/icon-180.png"/>
                <script inner_html=THEME_BOOT></script>
                <script inner_html=SW_BOOT></script>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Every route renders in order: the first HTML holds the mode badge and the prices, complete,
/// before any script runs (a trader on a slow phone link sees real numbers at once).
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    live::provide_market_stream();
    status_context::provide_status();

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
                            <Route path=StaticSegment("") ssr=SsrMode::InOrder view=DashboardPage/>
                            <Route
                                path=(StaticSegment("instrument"), ParamSegment("token"))
                                ssr=SsrMode::InOrder
                                view=InstrumentPage
                            />
                            <Route path=StaticSegment("levels") ssr=SsrMode::InOrder view=LevelsPage/>
                            <Route path=StaticSegment("alerts") ssr=SsrMode::InOrder view=AlertsPage/>
                            <Route path=StaticSegment("orders") ssr=SsrMode::InOrder view=OrdersPage/>
                            <Route path=StaticSegment("trades") ssr=SsrMode::InOrder view=TradesPage/>
                            <Route path=StaticSegment("settings") ssr=SsrMode::InOrder view=SettingsPage/>
                        </Routes>
                    </main>
                </div>
            </div>
        </Router>
    }
}
