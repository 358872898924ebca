//! The signed-in pages as routes whose code loads with them. In the release build
//! (`cargo leptos build --release --split`) each group of pages below is a wasm chunk of its
//! own, fetched when one of its pages is first shown (and preloaded beside a page the server
//! rendered), so a phone opening the dashboard does not download the desks and the admin pages
//! too. The browser build needs `--split` (`build_release` passes it): built without it, the
//! wasm still imports the split loader (`__wasm_split_placeholder__`) and no page hydrates —
//! measured on a plain `cargo leptos build --release`. The server side (SSR, every cargo test)
//! renders these routes at once either way.
//!
//! Pages are grouped rather than split one each: the splitter puts code used by several split
//! points into a shared chunk per combination, and nine points made 170 files (60 to 98
//! requests per page); three make a handful.

use leptos::lazy;
use leptos::prelude::*;
use leptos_router::LazyRoute;

use crate::build_info::Hydrated;

use super::{
    AccountPage, AlertsPage, DashboardPage, InstrumentPage, LevelsPage, OrdersPage, SettingsPage,
    TradesPage, UsersPage,
};

/// Every signed-in page, by the group its code loads with.
#[derive(Clone, Copy)]
enum Page {
    // Trading: the first screen and what it links to most.
    Dashboard,
    Instrument,
    // The desks.
    Levels,
    Alerts,
    Orders,
    Trades,
    // Administration.
    Account,
    Settings,
    Users,
}

#[lazy]
fn trading_page(page: Page) -> AnyView {
    match page {
        Page::Instrument => view! { <InstrumentPage/> }.into_any(),
        _ => view! { <DashboardPage/> }.into_any(),
    }
}

#[lazy]
fn desk_page(page: Page) -> AnyView {
    match page {
        Page::Alerts => view! { <AlertsPage/> }.into_any(),
        Page::Orders => view! { <OrdersPage/> }.into_any(),
        Page::Trades => view! { <TradesPage/> }.into_any(),
        _ => view! { <LevelsPage/> }.into_any(),
    }
}

#[lazy]
fn admin_page(page: Page) -> AnyView {
    match page {
        Page::Settings => view! { <SettingsPage/> }.into_any(),
        Page::Users => view! { <UsersPage/> }.into_any(),
        _ => view! { <AccountPage/> }.into_any(),
    }
}

macro_rules! routes {
    ($($route:ident => $page:ident in $group:ident / $preload:ident;)*) => {$(
        #[doc = concat!("The route of `", stringify!($page), "`, its code loaded with `", stringify!($group), "`.")]
        pub struct $route;

        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            async fn view(_this: Self) -> AnyView {
                let page = $group(Page::$page).await;
                view! { {page} <Hydrated/> }.into_any()
            }

            async fn preload() {
                #[cfg(feature = "hydrate")]
                $preload().await;
            }
        }
    )*};
}

routes! {
    DashboardRoute => Dashboard in trading_page / __preload_trading_page;
    InstrumentRoute => Instrument in trading_page / __preload_trading_page;
    LevelsRoute => Levels in desk_page / __preload_desk_page;
    AlertsRoute => Alerts in desk_page / __preload_desk_page;
    OrdersRoute => Orders in desk_page / __preload_desk_page;
    TradesRoute => Trades in desk_page / __preload_desk_page;
    AccountRoute => Account in admin_page / __preload_admin_page;
    SettingsRoute => Settings in admin_page / __preload_admin_page;
    UsersRoute => Users in admin_page / __preload_admin_page;
}
