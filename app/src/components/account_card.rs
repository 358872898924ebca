//! Your account (Settings page): a new password (proving the current one), and signing out of
//! every browser and phone at once.

use leptos::prelude::*;

use crate::api::auth::{change_password, log_out_everywhere};
use crate::pages::login::go_to;

#[component]
pub fn AccountCard() -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let message = RwSignal::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (c, n) = (current.get_untracked(), new.get_untracked());
        leptos::task::spawn_local(async move {
            match change_password(c, n).await {
                Ok(()) => go_to("/login"),
                // An invalid form says each problem, joined.
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    let everywhere = move |_| {
        leptos::task::spawn_local(async move {
            match log_out_everywhere().await {
                Ok(()) => go_to("/login"),
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <section class="card" data-testid="account-card">
            <header class="card-head"><h2>"Your account"</h2></header>
            <form class="field-grid" on:submit=save>
                <label class="field">
                    <span class="field-label">"Current password"</span>
                    <input type="password" autocomplete="current-password" data-testid="current-password"
                        prop:value=move || current.get()
                        on:input=move |ev| current.set(event_target_value(&ev))/>
                </label>
                <label class="field">
                    <span class="field-label">"New password"</span>
                    <input type="password" autocomplete="new-password" data-testid="new-password"
                        prop:value=move || new.get()
                        on:input=move |ev| new.set(event_target_value(&ev))/>
                </label>
                <div class="form-actions">
                    <button type="submit" class="button" data-testid="change-password">"Change password"</button>
                </div>
            </form>
            <p class="muted small">"A new password signs you out everywhere; sign in again with it."</p>
            <div class="form-actions">
                <button type="button" class="button" data-testid="sign-out-everywhere" on:click=everywhere>
                    "Sign out everywhere"
                </button>
            </div>
            {move || message.get().map(|m| view! { <p class="error small" role="alert" data-testid="account-message">{m}</p> })}
        </section>
    }
    .into_any()
}
