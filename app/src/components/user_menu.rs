//! Who is signed in (top bar): the username, the role, and signing out. A viewer sees
//! "read only" beside the name.

use leptos::prelude::*;
use osp_core::model::Role;

use crate::api::auth::log_out;
use crate::pages::login::go_to;
use crate::user_context::use_user;

#[component]
pub fn UserMenu() -> impl IntoView {
    let user = use_user().user;
    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            // Signed out or not (a session already ended), the sign-in page is where to go.
            let _ = log_out().await;
            go_to("/login");
        });
    };
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(u)) => view! {
                        <span class="user-menu" data-testid="user-menu" data-role=u.role.code()>
                            <span class="user-name" data-testid="user-name">{u.username.clone()}</span>
                            <span class="role-badge" data-testid="user-role">
                                {if u.role == Role::Viewer { "Viewer · read only" } else { u.role.label() }}
                            </span>
                            {(u.role == Role::Admin).then(|| view! {
                                <a class="button subtle users-nav" href="/users" data-testid="users-nav">"Users"</a>
                            })}
                            <button type="button" class="button subtle" data-testid="sign-out"
                                on:click=sign_out>"Sign out"</button>
                        </span>
                    }
                    .into_any(),
                    _ => ().into_any(),
                }
            })}
        </Suspense>
    }
}
