//! Accounts and security on the HTTP side: the password hasher (Argon2id), sessions in the
//! database (tower-sessions), the access table, the guard every request passes, the
//! cross-site check and the security headers, the sign-in allowance per username (`throttle`)
//! and the browsers an account signed in from before (`devices`). The rules about users (who
//! may sign in, when a password must be proved, the last admin) are the core's
//! `services::accounts`.

pub mod access;
pub mod client_ip;
pub mod devices;
pub mod guard;
pub mod headers;
pub mod host;
pub mod origin;
pub mod password;
pub mod sessions;
pub mod throttle;
pub mod totp;

pub use guard::Guard;
pub use password::Argon2Hasher;
pub use sessions::SessionBackend;
pub use totp::Totp;
