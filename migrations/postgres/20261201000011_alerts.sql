-- Price alerts and every time one fired. An alert's condition, repeat, window and note are kept
-- whole as JSON (`spec`); the columns beside it are what the monitor and the fire's
-- compare-and-set need. `deleted_ms` keeps a deleted alert for its history.
CREATE TABLE alerts (
    id                  BIGSERIAL PRIMARY KEY,
    instrument_token    BIGINT  NOT NULL,
    tradingsymbol       TEXT    NOT NULL,
    spec                TEXT    NOT NULL,
    enabled             BOOLEAN NOT NULL,
    state               TEXT    NOT NULL CHECK (state IN ('armed', 'fired')),
    last_fired_ms       BIGINT,
    fired_count         BIGINT  NOT NULL DEFAULT 0,
    created_by          TEXT    NOT NULL,
    created_ms          BIGINT  NOT NULL,
    updated_ms          BIGINT  NOT NULL,
    deleted_ms          BIGINT
);
CREATE INDEX alerts_live ON alerts (deleted_ms, id);

-- Immutable: rows are appended, never updated.
CREATE TABLE alert_events (
    id              BIGSERIAL PRIMARY KEY,
    alert_id        BIGINT  NOT NULL REFERENCES alerts (id),
    at_ms           BIGINT  NOT NULL,
    value           BIGINT  NOT NULL,
    target_value    BIGINT  NOT NULL,
    last_price_raw  BIGINT  NOT NULL,
    text            TEXT    NOT NULL
);
CREATE INDEX alert_events_by_alert ON alert_events (alert_id, id);
CREATE INDEX alert_events_by_time ON alert_events (at_ms);
