-- App users. The password is an Argon2id hash (PHC string); `failed_logins` counts wrong
-- passwords in a row and `locked_until_ms` refuses sign-in until then. A session remembers
-- the user's `session_generation` at sign-in: bumping it ends every session of the user.
CREATE TABLE users (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    username           TEXT    NOT NULL UNIQUE,
    password_hash      TEXT    NOT NULL,
    role               TEXT    NOT NULL CHECK (role IN ('admin', 'trader', 'viewer')),
    disabled           INTEGER NOT NULL DEFAULT 0,
    created_at_ms      INTEGER  NOT NULL,
    last_login_ms      INTEGER,
    locked_until_ms    INTEGER,
    failed_logins      INTEGER  NOT NULL DEFAULT 0,
    session_generation INTEGER  NOT NULL DEFAULT 0
);

-- Browser sessions, written by tower-sessions' sqlx store (its own layout: the id, the
-- session's data as MessagePack, and when it expires).
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY NOT NULL,
    data        BLOB NOT NULL,
    expiry_date INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry_date);
