//! HTTP plumbing outside Leptos: health, the API's JSON 404, the levels' CSV export, the Kite
//! login's connect/callback and postbacks, and the
//! middleware every request passes through.

pub mod api_fallback;
pub mod health;
pub mod kite;
pub mod levels_csv;
pub mod middleware;
pub mod ready;
