//! The Users page (admins): who may use this installation, with which role; add a user,
//! change a role, disable, set a new password, sign a user out everywhere. Others see why it
//! is not theirs to change.

use leptos::prelude::*;
use leptos_meta::Title;
use osp_core::model::Access;

use crate::components::UsersCard;
use crate::user_context::RoleGate;

#[component]
pub fn UsersPage() -> impl IntoView {
    view! {
        <Title text="Users · OS Platforms"/>
        <section class="page users-page">
            <h1>"Users"</h1>
            <RoleGate needs=Access::Admin note="Only an admin manages the users and their roles.">
                <UsersCard/>
            </RoleGate>
        </section>
    }
    .into_any()
}
