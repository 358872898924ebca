-- Watchlists, and an instruments table that also holds indices (Kite's dump gives them tick
-- size and lot size 0). The instruments table is a cache of Kite's daily dump: recreating it
-- loses nothing (the next start-up reloads it).
DROP TABLE instruments;
CREATE TABLE instruments (
    instrument_token INTEGER PRIMARY KEY NOT NULL,
    exchange_token   INTEGER NOT NULL,
    tradingsymbol    TEXT    NOT NULL,
    name             TEXT    NOT NULL DEFAULT '',
    exchange         TEXT    NOT NULL,
    segment          TEXT    NOT NULL,
    instrument_type  TEXT    NOT NULL,
    tick_size_raw    INTEGER NOT NULL CHECK (tick_size_raw >= 0),
    lot_size         INTEGER NOT NULL CHECK (lot_size >= 0),
    expiry           TEXT,
    strike_raw       INTEGER NOT NULL DEFAULT 0,
    UNIQUE (exchange, tradingsymbol)
);
CREATE INDEX instruments_by_symbol ON instruments (tradingsymbol);

CREATE TABLE watchlists (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    owner      TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    position   INTEGER NOT NULL,
    created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (owner, name)
);

CREATE TABLE watchlist_items (
    watchlist_id     INTEGER NOT NULL REFERENCES watchlists (id) ON DELETE CASCADE,
    position         INTEGER NOT NULL,
    instrument_token INTEGER NOT NULL,
    exchange         TEXT    NOT NULL,
    tradingsymbol    TEXT    NOT NULL,
    PRIMARY KEY (watchlist_id, instrument_token)
);
