-- Schema v12: `patient_events` is keyed by a 64-bit hash of the patient's
-- MRN (`patient_key` in sqlite/write.rs, registered for this migration as
-- vigil_patient_key) instead of the MRN's text. On an EHR report the
-- by-patient index took as much of the writer's time as the events table:
-- a B-tree insert at a scattered place per event, each seek comparing
-- strings. Integer keys compare in one instruction and make smaller rows.
-- A read checks the event's subject, so two MRNs that hash alike (odds of
-- about one in 10^10 among a million patients) cost a wasted row, never a
-- wrong answer.
CREATE TABLE patient_events_v12 (
    patient_key INTEGER NOT NULL,
    occurred_at INTEGER NOT NULL,
    event_id    INTEGER NOT NULL,
    PRIMARY KEY (patient_key, occurred_at, event_id)
) STRICT, WITHOUT ROWID;
INSERT OR IGNORE INTO patient_events_v12 (patient_key, occurred_at, event_id)
    SELECT vigil_patient_key(patient), occurred_at, event_id FROM patient_events;
DROP TABLE patient_events;
ALTER TABLE patient_events_v12 RENAME TO patient_events;
