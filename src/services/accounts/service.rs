//! `AccountService`: the first admin, signing in (with the lockout), a session's user, and the
//! admin's user management. Every refusal says what to do instead.

use crate::model::FieldProblem;
use std::sync::Arc;

use crate::model::{Role, StoredUser, TotpEnrolment, User, UserId};
use crate::ports::{Clock, PasswordHasher, RoleUpdate, SecondFactor, SignInThrottle, UserStore};

use super::credentials::{normalise_username, password_problem, username_problem};
use super::error::AccountError;

/// A user to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUser {
    pub username: String,
    pub password: String,
    pub role: Role,
}

/// What an admin changes about a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserChange {
    pub role: Role,
    pub disabled: bool,
}

/// A good sign-in: the user, and the session generation the session must carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignIn {
    pub user: User,
    pub session_generation: i64,
}

pub struct AccountService {
    store: Arc<dyn UserStore>,
    hasher: Arc<dyn PasswordHasher>,
    clock: Arc<dyn Clock>,
    throttle: Arc<dyn SignInThrottle>,
    second_factor: Arc<dyn SecondFactor>,
    /// A real hash of nothing anyone knows: an unknown username costs the same time as a
    /// wrong password, so timing does not tell which usernames exist.
    decoy: decoy::OnceHash,
}

impl AccountService {
    pub fn new(
        store: Arc<dyn UserStore>,
        hasher: Arc<dyn PasswordHasher>,
        clock: Arc<dyn Clock>,
        throttle: Arc<dyn SignInThrottle>,
        second_factor: Arc<dyn SecondFactor>,
    ) -> AccountService {
        AccountService {
            store,
            hasher,
            clock,
            throttle,
            second_factor,
            decoy: decoy::OnceHash::default(),
        }
    }

    /// True until the first admin exists.
    pub async fn needs_setup(&self) -> Result<bool, AccountError> {
        Ok(self.store.count().await.map_err(AccountError::Store)? == 0)
    }

    /// The first admin (the first-run page, or `osp user create --admin`), signed in: the
    /// password was just set, so it is not hashed a second time to check it. Refused once any
    /// user exists.
    pub async fn create_first_admin(
        &self,
        username: &str,
        password: &str,
    ) -> Result<SignIn, AccountError> {
        let new = NewUser {
            username: username.to_owned(),
            password: password.to_owned(),
            role: Role::Admin,
        };
        if !self.needs_setup().await? {
            return Err(AccountError::SetupDone);
        }
        let user = self.insert(&new, true).await?;
        let now = self.clock.now_ms();
        self.store
            .record_login(user.id, now)
            .await
            .map_err(AccountError::Store)?;
        let stored = self.stored(user.id).await?;
        Ok(SignIn {
            user: stored.user,
            session_generation: stored.session_generation,
        })
    }

    /// An admin adds a user.
    pub async fn create(&self, new: &NewUser) -> Result<User, AccountError> {
        self.insert(new, false).await
    }

    async fn insert(&self, new: &NewUser, only_if_first: bool) -> Result<User, AccountError> {
        let username = normalise_username(&new.username);
        let mut problems = Vec::new();
        if let Some(p) = username_problem(&username) {
            problems.push(FieldProblem::new("username", p));
        }
        if let Some(p) = password_problem(&new.password, &username) {
            problems.push(FieldProblem::new("password", p));
        }
        if !problems.is_empty() {
            return Err(AccountError::Invalid(problems));
        }
        let hash = self
            .hasher
            .hash(&new.password)
            .await
            .map_err(AccountError::Unavailable)?;
        let now = self.clock.now_ms();
        let id = self
            .store
            .insert(&username, &hash, new.role, now, only_if_first)
            .await
            .map_err(AccountError::Store)?;
        match id {
            Some(id) => self.user(id).await,
            None if only_if_first => Err(AccountError::SetupDone),
            None => Err(AccountError::Taken(username)),
        }
    }

    /// Checks a username and password. Each username typed, known or not, has only so many
    /// attempts before it is slowed down (`SignInThrottle`), and the answer is the same either
    /// way: nothing here tells which usernames exist. A browser the account signed in from
    /// before (`known_device`) is not slowed, so a stranger guessing cannot keep the real user
    /// out. A disabled account says so only to the right password.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        code: Option<&str>,
        known_device: bool,
    ) -> Result<SignIn, AccountError> {
        let username = normalise_username(username);
        if !known_device {
            self.attempt(&username)?;
        }
        let stored = self
            .store
            .by_name(&username)
            .await
            .map_err(AccountError::Store)?;
        let Some(stored) = stored else {
            let decoy = self.decoy.get(self.hasher.as_ref()).await;
            let _ = self.hasher.verify(password, &decoy).await;
            return Err(AccountError::WrongCredentials);
        };
        let now = self.clock.now_ms();
        if !self.hasher.verify(password, &stored.password_hash).await {
            self.failed(&stored).await?;
            return Err(AccountError::WrongCredentials);
        }
        if stored.user.disabled {
            return Err(AccountError::Disabled);
        }
        if let Some(sealed) = &stored.totp_sealed {
            let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
                return Err(AccountError::CodeNeeded);
            };
            // A wrong code is counted like a wrong password; a replayed one too.
            let step = self.second_factor.verify(sealed, code, now);
            let fresh = match step {
                Some(step) => self
                    .store
                    .use_totp_step(stored.user.id, step)
                    .await
                    .map_err(AccountError::Store)?,
                None => false,
            };
            if !fresh {
                self.failed(&stored).await?;
                return Err(AccountError::WrongCode);
            }
        }
        self.store
            .record_login(stored.user.id, now)
            .await
            .map_err(AccountError::Store)?;
        let mut user = stored.user;
        user.last_login_ms = Some(now);
        Ok(SignIn {
            user,
            session_generation: stored.session_generation,
        })
    }

    /// Takes one attempt at `username` from its allowance, or says how long to wait.
    fn attempt(&self, username: &str) -> Result<(), AccountError> {
        self.throttle
            .take(username)
            .map_err(|wait_s| AccountError::Throttled { wait_s })
    }

    /// Counts a wrong password or code (the admin sees the count on the Users page).
    async fn failed(&self, stored: &StoredUser) -> Result<(), AccountError> {
        self.store
            .add_failure(stored.user.id)
            .await
            .map_err(AccountError::Store)?;
        Ok(())
    }

    /// Proves a signed-in user's password before a change that needs it (the password itself,
    /// the second factor): from the same allowance as signing in, and never exempt, so a
    /// session left open on someone's screen cannot be used to guess the password.
    async fn prove_password(
        &self,
        stored: &StoredUser,
        password: &str,
        field: &str,
        wrong: &str,
    ) -> Result<(), AccountError> {
        self.attempt(&stored.user.username)?;
        if !self.hasher.verify(password, &stored.password_hash).await {
            self.failed(stored).await?;
            return Err(AccountError::Invalid(vec![FieldProblem::new(
                field,
                wrong.to_owned(),
            )]));
        }
        Ok(())
    }

    /// Starts turning the second factor on: a new secret (kept aside until a code confirms
    /// it) and what the user's authenticator app needs.
    /// Refused while one is on: replacing it takes turning it off first, with the password, so
    /// a session left open cannot move the second factor to someone else's phone.
    pub async fn begin_totp(&self, id: UserId) -> Result<TotpEnrolment, AccountError> {
        let stored = self.stored(id).await?;
        if stored.totp_sealed.is_some() {
            return Err(AccountError::Refused(
                "an authenticator is on already: turn it off first (with your password) to set up another".to_owned(),
            ));
        }
        let (sealed, base32) = self
            .second_factor
            .new_secret()
            .map_err(AccountError::Unavailable)?;
        self.store
            .set_totp_pending(id, Some(&sealed))
            .await
            .map_err(AccountError::Store)?;
        self.second_factor
            .enrolment(&base32, &stored.user.username)
            .map_err(AccountError::Unavailable)
    }

    /// Turns the second factor on once the app's first code matches the new secret.
    pub async fn confirm_totp(&self, id: UserId, code: &str) -> Result<User, AccountError> {
        let stored = self.stored(id).await?;
        let Some(pending) = &stored.totp_pending_sealed else {
            return Err(AccountError::Refused(
                "no authenticator is being set up: press Turn on first".to_owned(),
            ));
        };
        let Some(step) = self
            .second_factor
            .verify(pending, code.trim(), self.clock.now_ms())
        else {
            return Err(AccountError::Invalid(vec![FieldProblem::new(
                "code",
                "that code does not match: enter the code your app shows now".to_owned(),
            )]));
        };
        self.store
            .set_totp(id, Some(pending))
            .await
            .map_err(AccountError::Store)?;
        // The code that confirmed it does not sign anyone in as well.
        self.store
            .use_totp_step(id, step)
            .await
            .map_err(AccountError::Store)?;
        self.user(id).await
    }

    /// Turns the second factor off, proving the password.
    pub async fn disable_totp(&self, id: UserId, password: &str) -> Result<User, AccountError> {
        let stored = self.stored(id).await?;
        self.prove_password(&stored, password, "password", "the password is wrong")
            .await?;
        self.store
            .set_totp(id, None)
            .await
            .map_err(AccountError::Store)?;
        self.user(id).await
    }

    /// The user a session belongs to, if the session still stands: the user exists, is not
    /// disabled, and their sessions were not ended since it was made.
    pub async fn session_user(
        &self,
        id: UserId,
        generation: i64,
    ) -> Result<Option<User>, AccountError> {
        let stored = self.store.by_id(id).await.map_err(AccountError::Store)?;
        Ok(stored
            .filter(|s| !s.user.disabled && s.session_generation == generation)
            .map(|s| s.user))
    }

    pub async fn list(&self) -> Result<Vec<User>, AccountError> {
        self.store.list().await.map_err(AccountError::Store)
    }

    /// An admin changes a user's role or disables them. Refused when no enabled admin would
    /// be left (nobody could manage the app any more). The user's sessions end, so the new
    /// role holds from their next request.
    pub async fn change(&self, id: UserId, change: UserChange) -> Result<User, AccountError> {
        let before = self.stored(id).await?;
        let stays_admin = change.role == Role::Admin && !change.disabled;
        if before.user.role == Role::Admin && !before.user.disabled && !stays_admin {
            let others = self
                .list()
                .await?
                .into_iter()
                .filter(|u| u.id != id && u.role == Role::Admin && !u.disabled)
                .count();
            if others == 0 {
                return Err(AccountError::Refused(
                    "this is the only enabled admin: make another user an admin first".to_owned(),
                ));
            }
        }
        if before.user.role == change.role && before.user.disabled == change.disabled {
            return Ok(before.user);
        }
        match self
            .store
            .update(id, change.role, change.disabled)
            .await
            .map_err(AccountError::Store)?
        {
            RoleUpdate::Done => self.user(id).await,
            RoleUpdate::NoSuchUser => Err(AccountError::NotFound),
            // Another admin was demoted or disabled meanwhile.
            RoleUpdate::LastAdmin => Err(AccountError::Refused(
                "this is the only enabled admin: make another user an admin first".to_owned(),
            )),
        }
    }

    /// An admin sets a new password for a user (who forgot theirs); it unlocks the account and
    /// ends the user's sessions.
    /// It also turns their second factor off (the usual reason is a lost phone): they set it
    /// up again after signing in.
    pub async fn reset_password(&self, id: UserId, password: &str) -> Result<(), AccountError> {
        let stored = self.stored(id).await?;
        self.set_password(&stored, password, true).await
    }

    /// A user changes their own password, proving the current one first.
    pub async fn change_password(
        &self,
        id: UserId,
        current: &str,
        new: &str,
    ) -> Result<(), AccountError> {
        let stored = self.stored(id).await?;
        self.prove_password(&stored, current, "current", "the current password is wrong")
            .await?;
        self.set_password(&stored, new, false).await
    }

    async fn set_password(
        &self,
        stored: &StoredUser,
        password: &str,
        clear_totp: bool,
    ) -> Result<(), AccountError> {
        if let Some(p) = password_problem(password, &stored.user.username) {
            return Err(AccountError::Invalid(vec![FieldProblem::new(
                "password", p,
            )]));
        }
        let hash = self
            .hasher
            .hash(password)
            .await
            .map_err(AccountError::Unavailable)?;
        if !self
            .store
            .set_password(stored.user.id, &hash, clear_totp)
            .await
            .map_err(AccountError::Store)?
        {
            return Err(AccountError::NotFound);
        }
        Ok(())
    }

    /// Ends every session of the user, this one included.
    pub async fn sign_out_everywhere(&self, id: UserId) -> Result<(), AccountError> {
        if !self
            .store
            .end_sessions(id)
            .await
            .map_err(AccountError::Store)?
        {
            return Err(AccountError::NotFound);
        }
        Ok(())
    }

    async fn stored(&self, id: UserId) -> Result<StoredUser, AccountError> {
        self.store
            .by_id(id)
            .await
            .map_err(AccountError::Store)?
            .ok_or(AccountError::NotFound)
    }

    async fn user(&self, id: UserId) -> Result<User, AccountError> {
        Ok(self.stored(id).await?.user)
    }
}

/// The decoy hash, made once on first use (hashing at construction would slow every start).
mod decoy {
    use std::sync::Mutex;

    use crate::ports::PasswordHasher;

    #[derive(Default)]
    pub struct OnceHash(Mutex<Option<String>>);

    impl OnceHash {
        pub async fn get(&self, hasher: &dyn PasswordHasher) -> String {
            if let Some(hash) = self.0.lock().expect("decoy lock").clone() {
                return hash;
            }
            let hash = hasher
                .hash("decoy: no account has this password")
                .await
                .unwrap_or_default();
            *self.0.lock().expect("decoy lock") = Some(hash.clone());
            hash
        }
    }
}
