-- Trades: the position each entry order opened, managed by the trade monitor until its exit
-- fills. The trade is kept whole as JSON (`body`); the columns beside it are what queries and
-- the compare-and-set need (`version` bumps on every write).
CREATE TABLE trades (
    id           BIGSERIAL PRIMARY KEY,
    entry_intent BIGINT NOT NULL UNIQUE REFERENCES order_intents (id),
    exit_intent  BIGINT REFERENCES order_intents (id),
    state        TEXT    NOT NULL CHECK (state IN ('open', 'exiting', 'closed')),
    entry_filled BIGINT NOT NULL CHECK (entry_filled >= 0),
    body         TEXT    NOT NULL,
    version      BIGINT NOT NULL,
    opened_ms    BIGINT NOT NULL,
    updated_ms   BIGINT NOT NULL,
    closed_ms    BIGINT
);
CREATE INDEX trades_by_state ON trades (state, id);

-- An exit order names the trade it closes.
ALTER TABLE order_intents ADD COLUMN closes_trade BIGINT;
CREATE INDEX order_intents_closing ON order_intents (closes_trade);
