use leptos::prelude::*;
use leptos_router::components::A;

/// The main navigation: a side rail on wide screens, a bottom tab bar on phones.
#[component]
pub fn NavBar() -> impl IntoView {
    view! {
        <nav class="nav" aria-label="Main">
            <A href="/" exact=true>"Dashboard"</A>
            <A href="/levels">"Levels"</A>
            <A href="/alerts">"Alerts"</A>
            <A href="/orders">"Orders"</A>
            <A href="/trades">"Trades"</A>
            <A href="/account">"Account"</A>
            <A href="/settings">"Settings"</A>
        </nav>
    }
}
