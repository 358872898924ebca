-- Outgoing webhook deliveries: one per alert firing (`alert_event_id` unique, so enqueueing
-- twice adds nothing; NULL for a test), with its attempts and the last answer — the delivery
-- log. The webhook itself is the `webhook` row of `account_settings`.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_event_id  INTEGER UNIQUE REFERENCES alert_events (id),
    url             TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_status     INTEGER,
    last_error      TEXT,
    next_attempt_ms INTEGER NOT NULL,
    created_ms      INTEGER NOT NULL,
    delivered_ms    INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_ms);
