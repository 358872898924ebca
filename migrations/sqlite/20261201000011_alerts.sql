-- Price alerts and every time one fired. An alert's condition, repeat, window and note are kept
-- whole as JSON (`spec`); the columns beside it are what the monitor and the fire's
-- compare-and-set need. `deleted_ms` keeps a deleted alert for its history.
CREATE TABLE alerts (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    instrument_token    INTEGER NOT NULL,
    tradingsymbol       TEXT    NOT NULL,
    spec                TEXT    NOT NULL,
    enabled             INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    state               TEXT    NOT NULL CHECK (state IN ('armed', 'fired')),
    last_fired_ms       INTEGER,
    fired_count         INTEGER NOT NULL DEFAULT 0,
    created_by          TEXT    NOT NULL,
    created_ms          INTEGER NOT NULL,
    updated_ms          INTEGER NOT NULL,
    deleted_ms          INTEGER
);
CREATE INDEX alerts_live ON alerts (deleted_ms, id);

-- Immutable: rows are appended, never updated.
CREATE TABLE alert_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id        INTEGER NOT NULL REFERENCES alerts (id),
    at_ms           INTEGER NOT NULL,
    value           INTEGER NOT NULL,
    target_value    INTEGER NOT NULL,
    last_price_raw  INTEGER NOT NULL,
    text            TEXT    NOT NULL
);
CREATE INDEX alert_events_by_alert ON alert_events (alert_id, id);
CREATE INDEX alert_events_by_time ON alert_events (at_ms);
