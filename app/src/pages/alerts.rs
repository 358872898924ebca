use leptos::prelude::*;

use super::ComingPage;

#[component]
pub fn AlertsPage() -> impl IntoView {
    view! {
        <ComingPage title="Alerts">
            <p>"Your price alerts will appear here: local conditions and alerts kept at Kite."</p>
            <p class="muted">
                "Each alert shows its condition, state and trigger history, and notifies you in the \
                 app, in the browser, or through a webhook."
            </p>
        </ComingPage>
    }
}
