-- The account's settings that trading reads: the risk limits and the kill switch, one row per
-- name, the value as JSON. A missing row means the default (no kill switch; default limits).
CREATE TABLE account_settings (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_ms BIGINT NOT NULL
);
