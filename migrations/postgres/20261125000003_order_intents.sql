-- Order intents: every order the platform decides to place, written before the broker is
-- called (exactly once: a crash leaves a pending row to reconcile by its unique tag).
CREATE TABLE order_intents (
    id                BIGSERIAL PRIMARY KEY,
    level_id          BIGINT,
    tag               TEXT   NOT NULL UNIQUE,
    request           TEXT   NOT NULL,
    state             TEXT   NOT NULL CHECK (state IN
                          ('pending', 'placed', 'partially_filled', 'filled', 'rejected', 'cancelled')),
    broker_order_id   TEXT,
    filled_quantity   BIGINT NOT NULL DEFAULT 0 CHECK (filled_quantity >= 0),
    average_price_raw BIGINT,
    reason            TEXT,
    created_ms        BIGINT NOT NULL,
    updated_ms        BIGINT NOT NULL
);
CREATE INDEX order_intents_by_state ON order_intents (state, id);
