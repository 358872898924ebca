//! `/setup`: the first run. There is no default password: the first person to open a new
//! installation names its admin (or the admin is made on the command line with
//! `osp user create --admin`). Only while no user exists; afterwards the server sends this
//! page to `/login`.

use leptos::prelude::*;
use leptos_meta::Title;
use osp_core::services::accounts::MIN_PASSWORD_LEN;

use super::login::go_to;
use crate::api::auth::setup_admin;
use crate::typed::typed_before_hydration;

#[component]
pub fn SetupPage() -> impl IntoView {
    // Kept if typed before the page came alive.
    let username = RwSignal::new(typed_before_hydration("setup-form", "username"));
    let password = RwSignal::new(typed_before_hydration("setup-form", "password"));
    let confirm = RwSignal::new(typed_before_hydration("setup-form", "confirm"));
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        if password.get_untracked() != confirm.get_untracked() {
            error.set(Some(
                "the two passwords differ; type the same one twice".to_owned(),
            ));
            return;
        }
        busy.set(true);
        error.set(None);
        let (u, p) = (username.get_untracked(), password.get_untracked());
        leptos::task::spawn_local(async move {
            match setup_admin(u, p).await {
                Ok(_) => go_to("/"),
                Err(e) => {
                    // An invalid form's error names each problem.
                    error.set(Some(e.to_string()));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <Title text="First run · OS Platforms"/>
        <main class="auth-page">
            <form class="card auth-card" on:submit=submit data-testid="setup-form">
                <h1>"Create the admin account"</h1>
                <p class="muted small">
                    "This installation has no user yet. The admin manages users and settings, and can trade."
                </p>
                <label class="field">
                    <span class="field-label">"Username"</span>
                    <input type="text" name="username" autocomplete="username" required
                        autocapitalize="none" spellcheck="false" data-testid="setup-username"
                        prop:value=move || username.get()
                        on:input=move |ev| username.set(event_target_value(&ev))/>
                </label>
                <label class="field">
                    <span class="field-label">{format!("Password (at least {MIN_PASSWORD_LEN} characters)")}</span>
                    <input type="password" name="password" autocomplete="new-password" required
                        data-testid="setup-password"
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))/>
                </label>
                <label class="field">
                    <span class="field-label">"The same password again"</span>
                    <input type="password" name="confirm" autocomplete="new-password" required
                        data-testid="setup-confirm"
                        prop:value=move || confirm.get()
                        on:input=move |ev| confirm.set(event_target_value(&ev))/>
                </label>
                {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="setup-error">{e}</p> })}
                <div class="form-actions">
                    <button type="submit" class="button primary" data-testid="setup-submit"
                        disabled=move || !ready.get() || busy.get()>
                        {move || if busy.get() { "Creating…" } else { "Create and sign in" }}
                    </button>
                </div>
            </form>
        </main>
    }
    .into_any()
}
