//! App users: the first admin, sign-in with lockout, the admin's user management, passwords;
//! the "Connect Kite" logins in flight (`PendingLogins`: single-use states with a TTL).
//! The rules (what a good username and password are, when an account locks) live here; the
//! hashing and the storage are ports.

mod credentials;
mod error;
mod lockout;
mod pending_logins;
mod service;

pub use credentials::{MIN_PASSWORD_LEN, normalise_username, password_problem, username_problem};
pub use error::AccountError;
pub use lockout::LockoutPolicy;
pub use pending_logins::{MAX_PENDING, PendingLogins, STATE_TTL_MS};
pub use service::{AccountService, NewUser, SignIn, UserChange};
