-- Schema v10: an explanation row holds what only it knows (its kind,
-- encounter and note). Its source, time, actor and patient are the event's
-- own and are read through the event. A run writes one row per access, and
-- repeating four of the event's columns made that write the largest part of
-- an ingest with context. Patient and time stay only on unexplained rows
-- (NULL on the rest), for the partial index that finds a patient's
-- unexplained accesses when late context arrives.
CREATE TABLE explanations_v10 (
    event_id    INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    encounter   TEXT,
    note        TEXT NOT NULL,
    patient     TEXT,
    occurred_at INTEGER
) STRICT;
INSERT INTO explanations_v10 (event_id, kind, encounter, note, patient, occurred_at)
    SELECT event_id, kind, encounter, note,
           CASE WHEN kind = 'unexplained' THEN patient END,
           CASE WHEN kind = 'unexplained' THEN occurred_at END
    FROM explanations;
DROP TABLE explanations;
ALTER TABLE explanations_v10 RENAME TO explanations;
CREATE INDEX explanations_patient ON explanations(patient, occurred_at) WHERE kind = 'unexplained';
