-- Schema v9: explanations are no longer indexed by time. Writing that index
-- was a large share of an ingest with context; the readers by time
-- (coverage counts, the explainer's memory of earlier runs) reach a
-- period's explanations through the events' own time index instead.
DROP INDEX explanations_time;
