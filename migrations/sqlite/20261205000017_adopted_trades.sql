-- A trade adopted from a position the broker held outside the app has no entry order: its
-- `entry_intent` is NULL (the trade's body says who adopted it, when, and at what price).
-- SQLite cannot drop a NOT NULL in place, so the table is rebuilt with its rows and index.
CREATE TABLE trades_rebuilt (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_intent INTEGER UNIQUE REFERENCES order_intents (id),
    exit_intent  INTEGER REFERENCES order_intents (id),
    state        TEXT    NOT NULL CHECK (state IN ('open', 'exiting', 'closed')),
    entry_filled INTEGER NOT NULL CHECK (entry_filled >= 0),
    body         TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    opened_ms    INTEGER NOT NULL,
    updated_ms   INTEGER NOT NULL,
    closed_ms    INTEGER
);
INSERT INTO trades_rebuilt (id, entry_intent, exit_intent, state, entry_filled, body, version,
                            opened_ms, updated_ms, closed_ms)
    SELECT id, entry_intent, exit_intent, state, entry_filled, body, version, opened_ms,
           updated_ms, closed_ms
    FROM trades;
DROP TABLE trades;
ALTER TABLE trades_rebuilt RENAME TO trades;
CREATE INDEX trades_by_state ON trades (state, id);
