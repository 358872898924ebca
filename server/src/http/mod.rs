//! HTTP plumbing outside Leptos: health, the API's JSON 404, and the middleware every request
//! passes through.

pub mod api_fallback;
pub mod health;
pub mod middleware;
