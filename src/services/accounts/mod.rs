//! App users: the first admin, sign-in (slowed per username, never locked), the admin's user management, passwords;
//! the "Connect Kite" logins in flight (`PendingLogins`: single-use states with a TTL).
//! The rules (what a good username and password are, when a password must be proved) live
//! here; the hashing, the storage and the attempt allowance (`SignInThrottle`) are ports.

mod credentials;
mod error;
mod pending_logins;
mod service;

pub use credentials::{MIN_PASSWORD_LEN, normalise_username, password_problem, username_problem};
pub use error::AccountError;
pub use pending_logins::{MAX_PENDING, PendingLogins, STATE_TTL_MS};
pub use service::{AccountService, NewUser, SignIn, UserChange};
