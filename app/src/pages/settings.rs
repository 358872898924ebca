use leptos::prelude::*;

use super::ComingPage;

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <ComingPage title="Settings">
            <p>"Account, Kite connection, risk limits and system settings will appear here."</p>
            <p class="muted">
                "Connect your Kite account, choose paper or live trading, set daily loss limits, and \
                 see the state of workers, the price feed and the database."
            </p>
        </ComingPage>
    }
}
