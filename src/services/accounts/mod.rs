//! App users: the first admin, sign-in with lockout, the admin's user management, passwords.
//! The rules (what a good username and password are, when an account locks) live here; the
//! hashing and the storage are ports.

mod credentials;
mod lockout;
mod service;

pub use credentials::{MIN_PASSWORD_LEN, normalise_username, password_problem, username_problem};
pub use lockout::LockoutPolicy;
pub use service::{AccountError, AccountService, NewUser, SignIn, UserChange};
