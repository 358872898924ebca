//! HTTP plumbing outside Leptos: health, the API's JSON 404, the levels' CSV export, and the
//! middleware every request passes through.

pub mod api_fallback;
pub mod health;
pub mod levels_csv;
pub mod middleware;
pub mod ready;
