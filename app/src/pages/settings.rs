//! The Settings page: the account's risk limits (the Kite connection, paper or live, and the
//! system's state come with the accounts and workers issues).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::risk::risk_settings;
use crate::components::RiskLimitsForm;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let initial = Resource::new_blocking(|| (), |_| risk_settings());
    view! {
        <Title text="Settings · OS Platforms"/>
        <section class="page settings-page">
            <h1>"Settings"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading settings…"</p> }>
                {move || Suspend::new(async move {
                    match initial.await {
                        Ok(view) => view! { <RiskLimitsForm initial=view.limits/> }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <div class="card empty-state">
                <p class="muted">
                    "Connecting your Kite account, choosing paper or live trading, and the state of \
                     workers, the price feed and the database will appear here."
                </p>
            </div>
        </section>
    }
    .into_any()
}
