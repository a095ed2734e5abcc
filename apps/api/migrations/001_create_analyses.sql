-- Analyses: one row per uploaded image and the analyzer's result for it.
-- created_at is kept to the millisecond so a pagination cursor (ISO time + id) addresses a row exactly.
CREATE TABLE analyses (
    id           uuid        PRIMARY KEY,
    filename     text        NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
    content_type text        NOT NULL,
    size_bytes   integer     NOT NULL CHECK (size_bytes > 0),
    created_at   timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
    result       jsonb       NOT NULL
);

-- Serves GET /api/analyses: newest first, keyset pagination on (created_at, id).
CREATE INDEX analyses_created_at_id_idx ON analyses (created_at DESC, id DESC);
