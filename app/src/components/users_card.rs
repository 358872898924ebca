//! Users (Settings page, admins only): every user with their role, state and last sign-in;
//! add one, change a role, disable or enable, set a new password, end their sessions. A change
//! of role or state ends the user's sessions, so it holds from their next request.

use leptos::prelude::*;
use osp_core::format::ist_clock;
use osp_core::model::{Role, User};

use crate::api::users::{create_user, list_users, reset_user_password, sign_out_user, update_user};
use crate::error::AppError;

#[component]
pub fn UsersCard() -> impl IntoView {
    let users = RwSignal::new(Vec::<User>::new());
    let message = RwSignal::new(None::<String>);
    let refresh = move || {
        leptos::task::spawn_local(async move {
            match list_users().await {
                Ok(found) => users.set(found),
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    Effect::new(move |_| refresh());
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let role = RwSignal::new("trader".to_owned());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (u, p, r) = (
            username.get_untracked(),
            password.get_untracked(),
            role.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            match create_user(u, p, r).await {
                Ok(user) => {
                    message.set(Some(format!("{} can sign in now.", user.username)));
                    username.set(String::new());
                    password.set(String::new());
                    refresh();
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    let act = Callback::new(move |outcome: Result<String, AppError>| {
        match outcome {
            Ok(done) => message.set(Some(done)),
            Err(e) => message.set(Some(e.to_string())),
        }
        refresh();
    });
    view! {
        <section class="card" data-testid="users-card">
            <header class="card-head">
                <h2>"Who may sign in"</h2>
                <span class="muted small">"Admin: everything · Trader: trade, levels, alerts · Viewer: read only"</span>
            </header>
            <div class="table-wrap">
                <table class="quotes users">
                    <thead>
                        <tr>
                            <th scope="col">"User"</th>
                            <th scope="col">"Role"</th>
                            <th scope="col">"State"</th>
                            <th scope="col">"Last sign-in"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || users.get()
                            key=|u| (u.id, u.role, u.disabled, u.last_login_ms)
                            children=move |u| view! { <UserRow user=u act/> }
                        />
                    </tbody>
                </table>
            </div>
            <form class="field-grid" on:submit=add data-testid="add-user">
                <label class="field">
                    <span class="field-label">"Username"</span>
                    <input type="text" autocomplete="off" autocapitalize="none" data-testid="new-username"
                        prop:value=move || username.get()
                        on:input=move |ev| username.set(event_target_value(&ev))/>
                </label>
                <label class="field">
                    <span class="field-label">"Password"</span>
                    <input type="password" autocomplete="new-password" data-testid="new-user-password"
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))/>
                </label>
                <label class="field">
                    <span class="field-label">"Role"</span>
                    <select data-testid="new-user-role" on:change=move |ev| role.set(event_target_value(&ev))
                        prop:value=move || role.get()>
                        {Role::ALL.into_iter().map(|r| view! { <option value=r.code()>{r.label()}</option> }).collect_view()}
                    </select>
                </label>
                <div class="form-actions">
                    <button type="submit" class="button primary" data-testid="create-user">"Add user"</button>
                </div>
            </form>
            {move || message.get().map(|m| view! { <p class="small" role="status" data-testid="users-message">{m}</p> })}
        </section>
    }
    .into_any()
}

#[component]
fn UserRow(user: User, act: Callback<Result<String, AppError>>) -> impl IntoView {
    let id = user.id.0;
    let name = user.username.clone();
    let role = RwSignal::new(user.role.code().to_owned());
    let disabled = user.disabled;
    let new_password = RwSignal::new(String::new());
    let state = if user.disabled {
        "disabled".to_owned()
    } else {
        "active".to_owned()
    };
    let change_role = {
        let name = name.clone();
        move |ev: leptos::ev::Event| {
            let code = event_target_value(&ev);
            role.set(code.clone());
            let name = name.clone();
            leptos::task::spawn_local(async move {
                let outcome = update_user(id, code, disabled)
                    .await
                    .map(|u| format!("{name} is now {}.", u.role.label().to_lowercase()));
                act.run(outcome);
            });
        }
    };
    let toggle = {
        let name = name.clone();
        move |_| {
            let (name, code) = (name.clone(), role.get_untracked());
            leptos::task::spawn_local(async move {
                let outcome = update_user(id, code, !disabled).await.map(|u| {
                    if u.disabled {
                        format!("{name} is disabled and signed out.")
                    } else {
                        format!("{name} is enabled.")
                    }
                });
                act.run(outcome);
            });
        }
    };
    let reset = {
        let name = name.clone();
        move |_| {
            let (name, password) = (name.clone(), new_password.get_untracked());
            leptos::task::spawn_local(async move {
                let outcome = reset_user_password(id, password).await.map(|()| {
                    format!(
                        "{name} has a new password, is signed out, and two-step sign-in is off."
                    )
                });
                act.run(outcome);
            });
        }
    };
    let sign_out = {
        let name = name.clone();
        move |_| {
            let name = name.clone();
            leptos::task::spawn_local(async move {
                let outcome = sign_out_user(id)
                    .await
                    .map(|()| format!("{name} is signed out everywhere."));
                act.run(outcome);
            });
        }
    };
    view! {
        <tr data-testid="user-row" data-user=user.username.clone() data-role=user.role.code()>
            <td>{user.username.clone()}</td>
            <td>
                <select aria-label="Role" data-testid="user-role-select" on:change=change_role prop:value=move || role.get()>
                    {Role::ALL.into_iter().map(|r| view! { <option value=r.code()>{r.label()}</option> }).collect_view()}
                </select>
            </td>
            <td data-testid="user-state">{state}</td>
            <td class="small">{user.last_login_ms.map(|t| format!("{} IST", ist_clock(t))).unwrap_or_else(|| "never".to_owned())}</td>
            <td class="actions">
                <button type="button" class="button subtle" data-testid="toggle-user" on:click=toggle>
                    {if disabled { "Enable" } else { "Disable" }}
                </button>
                <input type="password" class="inline-input" placeholder="New password" autocomplete="new-password"
                    aria-label="New password" data-testid="reset-password-input"
                    prop:value=move || new_password.get()
                    on:input=move |ev| new_password.set(event_target_value(&ev))/>
                <button type="button" class="button subtle" data-testid="reset-password" on:click=reset>"Set password"</button>
                <button type="button" class="button subtle" data-testid="sign-out-user" on:click=sign_out>"Sign out"</button>
            </td>
        </tr>
    }
    .into_any()
}
