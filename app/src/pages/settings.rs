//! The Settings page: your account (password, sign out everywhere), a way to the Users page
//! (admins), the account's risk limits (admins change them), and the background workers' states with
//! restart, and the Kite connection (connect, disconnect, the Kite app's key and secret).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::kite::read_kite_status;
use crate::api::risk::risk_settings;
use crate::api::webhooks::read_webhook;
use crate::api::workers::list_workers;
use crate::components::{
    AccountCard, BusCard, FeedCard, KiteCard, RiskLimitsForm, SystemCard, WebhookCard, WorkersCard,
};
use crate::user_context::RoleGate;
use osp_core::model::Access;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let initial = Resource::new_blocking(|| (), |_| risk_settings());
    let workers = Resource::new_blocking(|| (), |_| list_workers());
    let kite = Resource::new_blocking(|| (), |_| read_kite_status());
    let webhook = Resource::new_blocking(|| (), |_| read_webhook());
    view! {
        <Title text="Settings · OS Platforms"/>
        <section class="page settings-page">
            <h1>"Settings"</h1>
            <AccountCard/>
            <Suspense fallback=|| view! { <p class="muted">"Loading the Kite connection…"</p> }>
                {move || Suspend::new(async move {
                    match kite.await {
                        Ok(found) => view! { <KiteCard initial=found/> }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <RoleGate needs=Access::Admin>
                <p class="card small">
                    <a href="/users" data-testid="users-link">"Users and roles →"</a>
                    " Add a user, change a role, disable, set a new password."
                </p>
            </RoleGate>
            <Suspense fallback=|| view! { <p class="muted">"Loading settings…"</p> }>
                {move || Suspend::new(async move {
                    match initial.await {
                        Ok(view) => view! {
                            <RoleGate needs=Access::Admin note="Only an admin changes the risk limits and lifts a tripped kill switch.">
                                <RiskLimitsForm initial=view.limits.clone()/>
                            </RoleGate>
                        }
                        .into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <Suspense fallback=|| view! { <p class="muted">"Loading the webhook…"</p> }>
                {move || Suspend::new(async move {
                    match webhook.await {
                        Ok(found) => view! {
                            <RoleGate needs=Access::Admin>
                                <WebhookCard initial=found.clone()/>
                            </RoleGate>
                        }
                        .into_any(),
                        // Not an admin's: the server answers only admins.
                        Err(_) => ().into_any(),
                    }
                })}
            </Suspense>
            <Suspense fallback=|| view! { <p class="muted">"Loading workers…"</p> }>
                {move || Suspend::new(async move {
                    match workers.await {
                        Ok(found) => view! { <WorkersCard initial=found/> }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <FeedCard/>
            <BusCard/>
            <SystemCard/>
        </section>
    }
    .into_any()
}
