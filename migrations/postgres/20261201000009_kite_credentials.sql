-- The account's Kite app and session. The API secret and the access token are stored only
-- encrypted (AES-256-GCM with secrets.key, `v1:` + base64); the API key and the Kite user are
-- not secrets. One row per account (`default` until there are several).
CREATE TABLE kite_credentials (
    account             TEXT PRIMARY KEY,
    api_key             TEXT,
    api_secret_sealed   TEXT,
    access_token_sealed TEXT,
    user_id             TEXT,
    user_name           TEXT,
    connected_ms        BIGINT,
    updated_ms          BIGINT NOT NULL
);
