-- Schema v7: the time index carries each event's source, so counting a
-- period's events per source and quarter-hour (coverage, the report) reads
-- the index alone, not a table row per event.
DROP INDEX events_time;
CREATE INDEX events_time ON events(occurred_at, source_id);
