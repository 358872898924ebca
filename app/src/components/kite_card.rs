//! Kite (Settings page): whose Kite session the app holds, Connect (to Kite's login page and
//! back) and Disconnect, and — for admins — the Kite app's API key and secret. The secret is
//! write-only: stored encrypted, never shown again.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use osp_core::format::ist_clock;
use osp_core::model::{Access, KiteStatus};

use crate::api::kite::{disconnect_kite, save_kite_app};
use crate::status_context::use_status;
use crate::typed::typed_before_hydration;
use crate::user_context::RoleGate;

#[component]
pub fn KiteCard(initial: KiteStatus) -> impl IntoView {
    let status = RwSignal::new(initial);
    let query = use_query_map();
    let message = RwSignal::new(None::<String>);
    // What the login's way back said.
    Effect::new(move |_| {
        let q = query.get();
        if let Some(error) = q.get("kite_error") {
            message.set(Some(format!("Not connected: {error}")));
        } else if q.get("kite").as_deref() == Some("connected") {
            message.set(Some("Kite is connected.".to_owned()));
        }
    });
    let api_key = RwSignal::new(typed_before_hydration("kite-app-form", "api_key"));
    let api_secret = RwSignal::new(typed_before_hydration("kite-app-form", "api_secret"));
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (k, s) = (api_key.get_untracked(), api_secret.get_untracked());
        leptos::task::spawn_local(async move {
            match save_kite_app(k, s).await {
                Ok(found) => {
                    status.set(found);
                    api_secret.set(String::new());
                    message.set(Some(
                        "The Kite app is saved; its secret is stored encrypted.".to_owned(),
                    ));
                }
                // An invalid form's error names each problem.
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    // Where Kite must send the browser back: this site, as the browser sees it (known only
    // once hydrated; a proxy's address is what counts, not the server's).
    let origin = RwSignal::new(None::<String>);
    Effect::new(move |_| origin.set(web_sys::window().and_then(|w| w.location().origin().ok())));
    let app_status = use_status();
    let disconnect = move |_| {
        leptos::task::spawn_local(async move {
            match disconnect_kite().await {
                Ok(found) => {
                    status.set(found);
                    // The top bar's banner, now rather than at its next read.
                    app_status.refresh();
                    message.set(Some(
                        "Kite is disconnected: nothing is sent until you connect again.".to_owned(),
                    ));
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <section class="card" data-testid="kite-card">
            <header class="card-head">
                <h2>"Kite"</h2>
                {move || status.with(|s| s.simulated).then(|| view! {
                    <span class="muted small">"This installation trades on the simulator: Connect logs in on its login page."</span>
                })}
            </header>
            {move || (!status.with(|s| s.simulated)).then(|| {
                let site = origin.get().unwrap_or_else(|| "https://this-site".to_owned());
                view! {
                    <p class="small" data-testid="kite-redirect">
                        "On developers.kite.trade, set your Kite app's redirect URL to "
                        <code data-testid="kite-redirect-url">{format!("{site}/kite/callback")}</code>
                        " and its postback URL to "
                        <code>{format!("{site}/kite/postback")}</code>
                        ". Kite ends every session at 06:00 IST: connect again each trading day."
                    </p>
                }
            })}
            {move || match status.get().connected {
                Some(session) => view! {
                    <p data-testid="kite-connected">
                        "Connected as " <strong data-testid="kite-user">{session.user_id.clone()}</strong>
                        {format!(" ({}) since {} IST", session.user_name, ist_clock(session.since_ms))}
                    </p>
                }
                .into_any(),
                None => view! { <p class="muted" data-testid="kite-disconnected">"Not connected."</p> }.into_any(),
            }}
            <RoleGate needs=Access::Admin note="An admin connects the Kite account.">
                <div class="form-actions">
                    // A page navigation: the server sends the browser on to Kite's login page.
                    <a class="button primary" href="/kite/connect" rel="external" data-testid="kite-connect">"Connect Kite"</a>
                    <button type="button" class="button" data-testid="kite-disconnect" on:click=disconnect
                        disabled=move || status.with(|s| s.connected.is_none())>"Disconnect"</button>
                </div>
                <form class="field-grid" on:submit=save data-testid="kite-app-form">
                    <label class="field">
                        <span class="field-label">"API key"</span>
                        <input type="text" name="api_key" autocomplete="off" spellcheck="false" data-testid="kite-api-key"
                            placeholder=move || status.with(|s| s.api_key.clone().unwrap_or_default())
                            prop:value=move || api_key.get()
                            on:input=move |ev| api_key.set(event_target_value(&ev))/>
                    </label>
                    <label class="field">
                        <span class="field-label">
                            {move || if status.with(|s| s.has_secret) { "API secret (stored; type to replace)" } else { "API secret" }}
                        </span>
                        <input type="password" name="api_secret" autocomplete="off" data-testid="kite-api-secret"
                            prop:value=move || api_secret.get()
                            on:input=move |ev| api_secret.set(event_target_value(&ev))/>
                    </label>
                    <div class="form-actions">
                        <button type="submit" class="button" data-testid="kite-save-app">"Save Kite app"</button>
                    </div>
                </form>
            </RoleGate>
            {move || message.get().map(|m| view! { <p class="small" role="status" data-testid="kite-message">{m}</p> })}
        </section>
    }
    .into_any()
}
