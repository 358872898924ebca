//! HTTP plumbing outside Leptos: health, and the middleware every request passes through.

pub mod health;
pub mod middleware;
