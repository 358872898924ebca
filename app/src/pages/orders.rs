use leptos::prelude::*;

use super::ComingPage;

#[component]
pub fn OrdersPage() -> impl IntoView {
    view! {
        <ComingPage title="Orders">
            <p>"Orders, trades and positions will appear here, with live P&L."</p>
            <p class="muted">
                "Every order the app places is listed with the level or alert that placed it, its \
                 state at the broker, fills, target, stop-loss and trailing stop."
            </p>
        </ComingPage>
    }
}
