-- Watchlists, and an instruments table that also holds indices (Kite's dump gives them tick
-- size and lot size 0). The instruments table is a cache of Kite's daily dump: recreating it
-- loses nothing (the next start-up reloads it).
DROP TABLE instruments;
CREATE TABLE instruments (
    instrument_token BIGINT PRIMARY KEY,
    exchange_token   BIGINT NOT NULL,
    tradingsymbol    TEXT   NOT NULL,
    name             TEXT   NOT NULL DEFAULT '',
    exchange         TEXT   NOT NULL,
    segment          TEXT   NOT NULL,
    instrument_type  TEXT   NOT NULL,
    tick_size_raw    BIGINT NOT NULL CHECK (tick_size_raw >= 0),
    lot_size         BIGINT NOT NULL CHECK (lot_size >= 0),
    expiry           TEXT,
    strike_raw       BIGINT NOT NULL DEFAULT 0,
    UNIQUE (exchange, tradingsymbol)
);
CREATE INDEX instruments_by_symbol ON instruments (tradingsymbol);

CREATE TABLE watchlists (
    id         BIGSERIAL PRIMARY KEY,
    owner      TEXT   NOT NULL,
    name       TEXT   NOT NULL,
    position   BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (owner, name)
);

CREATE TABLE watchlist_items (
    watchlist_id     BIGINT NOT NULL REFERENCES watchlists (id) ON DELETE CASCADE,
    position         BIGINT NOT NULL,
    instrument_token BIGINT NOT NULL,
    exchange         TEXT   NOT NULL,
    tradingsymbol    TEXT   NOT NULL,
    PRIMARY KEY (watchlist_id, instrument_token)
);
