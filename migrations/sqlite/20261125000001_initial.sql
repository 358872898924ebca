-- Instruments master (filled from Kite's instruments dump) and a small key/value store for
-- facts about this installation. Prices are fixed-point integers: 1 unit = 0.0001 rupee.
CREATE TABLE instruments (
    instrument_token INTEGER PRIMARY KEY NOT NULL,
    exchange_token   INTEGER NOT NULL,
    tradingsymbol    TEXT    NOT NULL,
    name             TEXT    NOT NULL DEFAULT '',
    exchange         TEXT    NOT NULL,
    segment          TEXT    NOT NULL,
    instrument_type  TEXT    NOT NULL,
    tick_size_raw    INTEGER NOT NULL CHECK (tick_size_raw > 0),
    lot_size         INTEGER NOT NULL CHECK (lot_size > 0),
    expiry           TEXT,
    strike_raw       INTEGER NOT NULL DEFAULT 0,
    updated_at       TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (exchange, tradingsymbol)
);

CREATE INDEX instruments_by_symbol ON instruments (tradingsymbol);

CREATE TABLE app_meta (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
