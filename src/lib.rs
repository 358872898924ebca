//! OS Platforms domain core: models, services and the ports they depend on.
//!
//! Pure Rust with no web, database or async-runtime crate, so it compiles for the browser
//! (wasm32) and the server alike. Adapters that do IO live in `server/` and implement `ports`.

pub mod backoff;
pub mod format;
pub mod model;
pub mod ports;
pub mod services;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
