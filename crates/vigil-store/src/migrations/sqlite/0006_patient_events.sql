-- Schema v6: the by-patient index an access report reads ("who opened this
-- patient's chart?"). Only sources whose subject is a patient (EHR access
-- reports, FHIR AuditEvent) write to it, in sorted runs at commit as
-- `actor_events` is, so host logs pay nothing for it.
CREATE TABLE patient_events (
    patient     TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    event_id    INTEGER NOT NULL,
    PRIMARY KEY (patient, occurred_at, event_id)
) STRICT, WITHOUT ROWID;
INSERT INTO patient_events (patient, occurred_at, event_id)
    SELECT e.subject, e.occurred_at, e.id FROM events e JOIN sources s ON s.id = e.source_id
    WHERE s.kind IN ('access-csv', 'fhir', 'fhir-auditevent') AND e.subject IS NOT NULL;
