-- Outgoing webhook deliveries: one per alert firing (`alert_event_id` unique, so enqueueing
-- twice adds nothing; NULL for a test), with its attempts and the last answer — the delivery
-- log. The webhook itself is the `webhook` row of `account_settings`.
CREATE TABLE webhook_deliveries (
    id              BIGSERIAL PRIMARY KEY,
    alert_event_id  BIGINT  UNIQUE REFERENCES alert_events (id),
    url             TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        BIGINT  NOT NULL DEFAULT 0,
    last_status     BIGINT,
    last_error      TEXT,
    next_attempt_ms BIGINT  NOT NULL,
    created_ms      BIGINT  NOT NULL,
    delivered_ms    BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_ms);
