//! The Kite login the REST client and the ticker share. The client owns it: a new session (a
//! Kite login, or one restored from the database) is sent to every ticker connection, which
//! reconnects with it; a session cleared (disconnect, another Kite app) closes them until the
//! next one. So the ticker never keeps streaming on a token the rest of the app has dropped,
//! and never needs a restart after a new login.

use secrecy::SecretString;
use tokio::sync::watch;

/// What a ticker connection needs to connect: the app's key and the session's token.
#[derive(Clone, Debug)]
pub struct KiteLogin {
    pub api_key: String,
    pub access_token: SecretString,
}

/// Where the current login is followed (`None`: not logged in).
pub type LoginWatch = watch::Receiver<Option<KiteLogin>>;

/// A login that never changes (tests, and tools holding one fixed token).
pub fn fixed_login(api_key: impl Into<String>, access_token: SecretString) -> LoginWatch {
    let (sender, receiver) = watch::channel(Some(KiteLogin {
        api_key: api_key.into(),
        access_token,
    }));
    // The receiver keeps the value after the sender is gone; `changed()` then fails, which the
    // ticker reads as "no new login will come".
    drop(sender);
    receiver
}
