-- Schema v4: the by-patient index an access report reads ("who opened this
-- patient's chart?"). Only sources whose subject is a patient (EHR access
-- reports, FHIR AuditEvent) write to it, by COPY at commit, so host logs
-- pay nothing for it.
CREATE TABLE patient_events (
    patient     TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    event_id    BIGINT NOT NULL
);
CREATE INDEX patient_events_patient ON patient_events(patient, occurred_at);
INSERT INTO patient_events (patient, occurred_at, event_id)
    SELECT e.subject, e.occurred_at, e.id FROM events e JOIN sources s ON s.id = e.source_id
    WHERE s.kind IN ('access-csv', 'fhir', 'fhir-auditevent') AND e.subject IS NOT NULL;
