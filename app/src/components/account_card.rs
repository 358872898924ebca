//! Your account (Settings page): a new password (proving the current one), and signing out of
//! every browser and phone at once.

use leptos::prelude::*;

use crate::api::auth::{
    begin_totp, change_password, confirm_totp, disable_totp, log_out_everywhere,
};
use crate::pages::login::go_to;
use crate::user_context::use_user;
use osp_core::model::TotpEnrolment;

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
            <TwoStep message/>
            {move || message.get().map(|m| view! { <p class="error small" role="alert" data-testid="account-message">{m}</p> })}
        </section>
    }
    .into_any()
}

/// Two-step sign-in: turning the authenticator code on (a QR code to scan, the first code to
/// confirm) or off (with the password). Either ends every session: sign in again.
#[component]
fn TwoStep(message: RwSignal<Option<String>>) -> impl IntoView {
    let user = use_user().user;
    let enrolment = RwSignal::new(None::<TotpEnrolment>);
    let code = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let begin = move |_| {
        leptos::task::spawn_local(async move {
            match begin_totp().await {
                Ok(found) => enrolment.set(Some(found)),
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    let confirm = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let c = code.get_untracked();
        leptos::task::spawn_local(async move {
            match confirm_totp(c).await {
                Ok(_) => go_to("/login"),
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    let turn_off = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let p = password.get_untracked();
        leptos::task::spawn_local(async move {
            match disable_totp(p).await {
                Ok(_) => go_to("/login"),
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let on = matches!(user.await, Ok(Some(u)) if u.totp);
                if on {
                    view! {
                        <form class="field-grid" on:submit=turn_off data-testid="totp-off">
                            <p class="small">"Two-step sign-in is on: signing in takes a code from your authenticator app."</p>
                            <label class="field">
                                <span class="field-label">"Password, to turn it off"</span>
                                <input type="password" autocomplete="current-password" data-testid="totp-off-password"
                                    prop:value=move || password.get()
                                    on:input=move |ev| password.set(event_target_value(&ev))/>
                            </label>
                            <div class="form-actions">
                                <button type="submit" class="button" data-testid="totp-disable">"Turn off"</button>
                            </div>
                        </form>
                    }
                    .into_any()
                } else {
                    view! {
                        <div data-testid="totp-setup">
                            {move || match enrolment.get() {
                                None => view! {
                                    <div class="form-actions">
                                        <button type="button" class="button" data-testid="totp-begin" on:click=begin>
                                            "Turn on two-step sign-in"
                                        </button>
                                    </div>
                                }
                                .into_any(),
                                Some(e) => view! {
                                    <form on:submit=confirm>
                                        <p class="small">"Scan this with your authenticator app, or type the key in, then enter the code it shows."</p>
                                        <div class="totp-qr" data-testid="totp-qr" inner_html=e.qr_svg.clone()></div>
                                        <p class="small"><code data-testid="totp-secret">{e.secret.clone()}</code></p>
                                        <label class="field">
                                            <span class="field-label">"Code"</span>
                                            <input type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="6"
                                                data-testid="totp-code"
                                                prop:value=move || code.get()
                                                on:input=move |ev| code.set(event_target_value(&ev))/>
                                        </label>
                                        <div class="form-actions">
                                            <button type="submit" class="button primary" data-testid="totp-confirm">"Confirm"</button>
                                        </div>
                                    </form>
                                }
                                .into_any(),
                            }}
                        </div>
                    }
                    .into_any()
                }
            })}
        </Suspense>
    }
}
