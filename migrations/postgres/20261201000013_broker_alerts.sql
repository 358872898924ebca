-- Alerts kept at the broker (Kite's Alerts API): the app's copy of the broker's list (each
-- alert as JSON, with its count and when this app stored it), the firings the app saw (one
-- per alert and count, so a sync that runs twice records nothing twice), and how the last
-- read of the broker's list went (one row).
CREATE TABLE broker_alerts (
    id          TEXT    PRIMARY KEY,
    body        TEXT    NOT NULL,
    fired_count BIGINT  NOT NULL,
    stored_ms   BIGINT  NOT NULL
);
CREATE TABLE broker_alert_firings (
    alert_id    TEXT    NOT NULL,
    seq         BIGINT  NOT NULL,
    name        TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    recorded_ms BIGINT  NOT NULL,
    PRIMARY KEY (alert_id, seq)
);
CREATE INDEX broker_alert_firings_recent ON broker_alert_firings (recorded_ms);
CREATE TABLE broker_alert_sync (
    id        BIGINT PRIMARY KEY CHECK (id = 1),
    synced_ms BIGINT,
    error     TEXT,
    tried_ms  BIGINT  NOT NULL
);
