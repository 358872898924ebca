//! The signed-in user as one blocking resource (the first HTML already shows who is signed in
//! and what their role may do), and `RoleGate`, which shows its children only to a role that
//! may use them. The server's guard enforces the same rules; this only keeps a viewer from
//! being offered buttons that would be refused.

use leptos::prelude::*;
use osp_core::model::{Access, User};

use crate::api::auth::me;
use crate::error::AppError;

#[derive(Clone, Copy)]
pub struct UserContext {
    pub user: Resource<Result<Option<User>, AppError>>,
}

pub fn provide_user() {
    let user = Resource::new_blocking(|| (), |_| me());
    provide_context(UserContext { user });
}

pub fn use_user() -> UserContext {
    expect_context::<UserContext>()
}

impl UserContext {
    /// Whether the signed-in user's role allows `access` (false until it is known).
    pub fn can(&self, access: Access) -> Signal<bool> {
        let user = self.user;
        Signal::derive(move || matches!(user.get(), Some(Ok(Some(u))) if u.role.allows(access)))
    }
}

/// Its children for a user whose role allows `needs`; for anyone else, `note` (if given).
#[component]
pub fn RoleGate(
    needs: Access,
    #[prop(optional, into)] note: Option<String>,
    children: ChildrenFn,
) -> impl IntoView {
    let user = use_user().user;
    let children = StoredValue::new(children);
    let note = StoredValue::new(note);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let allowed = matches!(user.await, Ok(Some(u)) if u.role.allows(needs));
                if allowed {
                    children.with_value(|c| c()).into_any()
                } else {
                    note.get_value()
                        .map(|n| view! { <p class="muted small role-note" data-testid="role-note">{n}</p> })
                        .into_any()
                }
            })}
        </Suspense>
    }
}
