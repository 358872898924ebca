//! App users: who may sign in, and with which role. The role decides what a request may do
//! (`Role::allows`); every endpoint names the `Access` it needs.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct UserId(pub i64);

/// What a signed-in user may do. Each role includes the ones below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything, changes nothing.
    Viewer,
    /// Trades: orders, levels, trades, risk limits, the kill switch, alerts.
    Trader,
    /// Everything, and users, workers and settings.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Trader, Role::Viewer];

    pub fn code(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Trader => "trader",
            Role::Admin => "admin",
        }
    }

    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Viewer => "Viewer",
            Role::Trader => "Trader",
            Role::Admin => "Admin",
        }
    }

    /// Whether this role may use an endpoint that needs `access`.
    pub fn allows(self, access: Access) -> bool {
        match access {
            Access::Public | Access::SignedIn => true,
            Access::Trader => self >= Role::Trader,
            Access::Admin => self == Role::Admin,
        }
    }
}

/// What an endpoint needs from the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Anyone, signed in or not (the login page, health, the static files).
    Public,
    /// Any signed-in user, viewers included: reading.
    SignedIn,
    /// Traders and admins: anything that can place, change or cancel an order.
    Trader,
    /// Admins only: users, workers, settings.
    Admin,
}

/// An app user as the rest of the app sees it (never the password hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub role: Role,
    /// A disabled user cannot sign in, and their sessions end.
    pub disabled: bool,
    /// Unix ms.
    pub created_at_ms: i64,
    /// Unix ms of the last successful sign-in.
    pub last_login_ms: Option<i64>,
    /// Signing in also takes a code from an authenticator app.
    #[serde(default)]
    pub totp: bool,
}

/// A user as stored: with what signing in checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredUser {
    pub user: User,
    /// The Argon2id hash in PHC string form.
    pub password_hash: String,
    /// Wrong passwords in a row since the last good one.
    pub failed_logins: u32,
    /// Bumped to end every session of the user ("sign out everywhere", a new password, a
    /// role change, disabling): a session remembers the generation it was made in.
    pub session_generation: i64,
    /// The TOTP secret, sealed, once enrolment is confirmed.
    pub totp_sealed: Option<String>,
    /// A TOTP secret being enrolled, sealed, until its first code confirms it.
    pub totp_pending_sealed: Option<String>,
    /// The last TOTP time step a sign-in used: a code works once.
    pub totp_last_step: Option<i64>,
}

/// What an authenticator app needs to start making codes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpEnrolment {
    /// The secret in base32, to type in by hand.
    pub secret: String,
    /// `otpauth://totp/…`, what the QR code holds.
    pub url: String,
    /// The QR code as an SVG document.
    pub qr_svg: String,
}
