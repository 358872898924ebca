-- ATO alerts the kill switch took out of Kite's hands: deleted at Kite (which cannot pause an
-- alert) and kept here as Kite held them (the alert as JSON, under Kite's old id), until the
-- trader puts one back at Kite or lets it go.
CREATE TABLE broker_alerts_suspended (
    id           TEXT    PRIMARY KEY,
    body         TEXT    NOT NULL,
    suspended_ms BIGINT  NOT NULL
);
