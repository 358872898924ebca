//! One component per route.

mod account;
mod alerts;
mod dashboard;
mod instrument;
mod levels;
pub mod login;
mod not_found;
mod orders;
pub mod routes;
mod settings;
mod setup;
mod trades;
mod users;

pub use account::AccountPage;
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
