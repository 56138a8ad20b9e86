-- Schema v3: clinical context (encounters, appointments, care teams) kept
-- apart from the events it explains; each patient access's explanation;
-- and an item's risk score with the sentence that explains it.
CREATE TABLE context (
    source_id   BIGINT NOT NULL REFERENCES sources(id),
    key         TEXT NOT NULL,
    kind        TEXT NOT NULL,
    patient     TEXT NOT NULL,
    starts_at   BIGINT NOT NULL,
    ends_at     BIGINT,
    department  TEXT,
    class       TEXT,
    -- accounts or roster ids, ';'-separated
    team        TEXT NOT NULL DEFAULT '',
    stream_id   BIGINT REFERENCES streams(id),
    "offset"    BIGINT,
    raw         BYTEA,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (source_id, key)
);
CREATE INDEX context_patient ON context(patient, starts_at);
CREATE TABLE explanations (
    event_id    BIGINT PRIMARY KEY,
    source_id   BIGINT NOT NULL,
    occurred_at BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    patient     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    encounter   TEXT,
    note        TEXT NOT NULL
);
CREATE INDEX explanations_patient ON explanations(patient, occurred_at) WHERE kind = 'unexplained';
CREATE INDEX explanations_time ON explanations(occurred_at);
ALTER TABLE items ADD COLUMN score BIGINT NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN score_note TEXT;
UPDATE items SET score = severity * 100;
CREATE INDEX items_score ON items(status, score DESC, occurred_at);
