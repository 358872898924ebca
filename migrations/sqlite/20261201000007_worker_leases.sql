-- Who may trade: one row per lease (today `trading`), held by one server process until
-- `expires_ms` unless it renews. A second process waits as a standby and takes the lease over
-- once it lapses, so two processes never place orders for the same account.
CREATE TABLE worker_leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT    NOT NULL,
    expires_ms  INTEGER NOT NULL,
    acquired_ms INTEGER NOT NULL
);
