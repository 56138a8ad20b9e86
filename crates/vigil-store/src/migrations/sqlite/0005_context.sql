-- Schema v5: clinical context (encounters, appointments, care teams) kept
-- apart from the events it explains; each patient access's explanation;
-- and an item's risk score with the sentence that explains it.
CREATE TABLE context (
    source_id   INTEGER NOT NULL REFERENCES sources(id),
    key         TEXT NOT NULL,
    kind        TEXT NOT NULL,
    patient     TEXT NOT NULL,
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER,
    department  TEXT,
    class       TEXT,
    -- accounts or roster ids, ';'-separated
    team        TEXT NOT NULL DEFAULT '',
    stream_id   INTEGER REFERENCES streams(id),
    offset      INTEGER,
    raw         BLOB,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (source_id, key)
);
CREATE INDEX context_patient ON context(patient, starts_at);
CREATE TABLE explanations (
    event_id    INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL,
    occurred_at INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    patient     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    encounter   TEXT,
    note        TEXT NOT NULL
);
CREATE INDEX explanations_patient ON explanations(patient, occurred_at) WHERE kind = 'unexplained';
CREATE INDEX explanations_time ON explanations(occurred_at);
ALTER TABLE items ADD COLUMN score INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN score_note TEXT;
UPDATE items SET score = severity * 100;
CREATE INDEX items_score ON items(status, score DESC, occurred_at);
