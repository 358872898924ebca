//! One component per route.

mod alerts;
mod dashboard;
mod instrument;
mod levels;
pub mod login;
mod not_found;
mod orders;
mod settings;
mod setup;
mod trades;
mod users;

pub use alerts::AlertsPage;
pub use dashboard::DashboardPage;
pub use instrument::InstrumentPage;
pub use levels::LevelsPage;
pub use login::LoginPage;
pub use not_found::NotFoundPage;
pub use orders::OrdersPage;
pub use settings::SettingsPage;
pub use setup::SetupPage;
pub use trades::TradesPage;
pub use users::UsersPage;

use leptos::prelude::*;
use leptos_meta::Title;

/// A page whose feature is still to come: it says what will appear there.
#[component]
fn ComingPage(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <Title text=format!("{title} · OS Platforms")/>
        <section class="page">
            <h1>{title}</h1>
            <div class="card empty-state">{children()}</div>
        </section>
    }
}
