-- Levels and their audit log. A level's definition is kept whole as JSON (`spec`); the columns
-- beside it are what queries and the trigger's compare-and-set need. `armed` is persisted so a
-- restart never fires a crossing that already fired; `deleted_ms` keeps a deleted level for
-- the log and an undo.
CREATE TABLE levels (
    id                  BIGSERIAL PRIMARY KEY,
    instrument_token    BIGINT  NOT NULL,
    tradingsymbol       TEXT    NOT NULL,
    spec                TEXT    NOT NULL,
    enabled             BOOLEAN NOT NULL,
    armed               BOOLEAN NOT NULL,
    last_trigger        TEXT,
    created_ms          BIGINT  NOT NULL,
    updated_ms          BIGINT  NOT NULL,
    deleted_ms          BIGINT
);
CREATE INDEX levels_live ON levels (deleted_ms, id);

-- Immutable: rows are appended, never updated.
CREATE TABLE level_events (
    id         BIGSERIAL PRIMARY KEY,
    level_id   BIGINT  NOT NULL REFERENCES levels (id),
    kind       TEXT    NOT NULL CHECK (kind IN
                   ('crossed', 'cancelled', 'triggered', 'order_placed', 'order_failed', 'skipped', 'rearmed')),
    direction  TEXT    CHECK (direction IN ('up', 'down')),
    price_raw  BIGINT  NOT NULL,
    at_ms      BIGINT  NOT NULL,
    detail     TEXT    NOT NULL
);
CREATE INDEX level_events_by_level ON level_events (level_id, id);
