-- Schema v7: the tables that grow with every event (events, explanations,
-- patient_events, actor_runs) are partitioned by day (UTC) on their time
-- column, so retention drops whole days instead of deleting rows, and a
-- query for a period reads only that period's partitions. Each table has a
-- `_kept` partition for everything before the last prune (MINVALUE up to
-- `meta.events_kept_before`): the events items and incidents still list are
-- moved there before their day is dropped, and a late event for a day
-- already pruned lands there. Day partitions are made by `vigil_add_day`,
-- ahead of ingest (today and the next week) and for any other day an ingest
-- brings; see postgres/partitions.rs.

CREATE FUNCTION vigil_day_name(tbl text, d bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT tbl || '_p' || to_char(to_timestamp(d * 86400) AT TIME ZONE 'UTC', 'YYYYMMDD')
$$;

-- Creates day `d`'s partition of each table, if missing. A plain table is
-- made and then attached: attaching locks the parent only against other
-- schema changes (SHARE UPDATE EXCLUSIVE), where CREATE ... PARTITION OF
-- would stop every reader and writer until the transaction ends. It runs as
-- the store's owner (SECURITY DEFINER, with its search path pinned below):
-- the application role may insert rows but neither create tables nor
-- attach them, and `vigil store grants` lets only it call this.
CREATE FUNCTION vigil_add_day(d bigint) RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    t text;
    p text;
    lo bigint := d * 86400000000;
BEGIN
    FOREACH t IN ARRAY ARRAY['events', 'explanations', 'patient_events', 'actor_runs'] LOOP
        p := vigil_day_name(t, d);
        IF to_regclass(quote_ident(p)) IS NULL THEN
            EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS)', p, t);
            EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)',
                           t, p, lo, lo + 86400000000);
        END IF;
    END LOOP;
END;
$$;

DO $$ BEGIN
    EXECUTE format('ALTER FUNCTION vigil_add_day(bigint) SET search_path = %I, pg_temp', current_schema());
END $$;

DROP VIEW actor_events;
ALTER SEQUENCE events_id_seq OWNED BY NONE;
ALTER TABLE events RENAME TO events_v6;
ALTER TABLE explanations RENAME TO explanations_v6;
ALTER TABLE patient_events RENAME TO patient_events_v6;
ALTER TABLE actor_runs RENAME TO actor_runs_v6;
ALTER INDEX events_pkey RENAME TO events_v6_pkey;
ALTER INDEX events_time RENAME TO events_v6_time;
ALTER INDEX explanations_pkey RENAME TO explanations_v6_pkey;
ALTER INDEX explanations_patient RENAME TO explanations_v6_patient;
ALTER INDEX patient_events_patient RENAME TO patient_events_v6_patient;
ALTER INDEX actor_runs_actor RENAME TO actor_runs_v6_actor;

-- A partitioned table's unique keys must hold its partition column: an
-- event is (id, occurred_at), which is unique because id is.
CREATE TABLE events (
    id          BIGINT NOT NULL DEFAULT nextval('events_id_seq'),
    source_id   BIGINT NOT NULL,
    stream_id   BIGINT NOT NULL,
    "offset"    BIGINT NOT NULL,
    seq         BIGINT NOT NULL,
    occurred_at BIGINT NOT NULL,
    time_basis  BIGINT NOT NULL,
    host        TEXT,
    program     TEXT,
    actor_id    BIGINT,
    subject     TEXT,
    action      TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    client      TEXT,
    detail      TEXT,
    raw         BYTEA NOT NULL,
    PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);
ALTER SEQUENCE events_id_seq OWNED BY events.id;
CREATE INDEX events_time ON events(occurred_at);

CREATE TABLE explanations (
    event_id    BIGINT NOT NULL,
    source_id   BIGINT NOT NULL,
    occurred_at BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    patient     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    encounter   TEXT,
    note        TEXT NOT NULL,
    PRIMARY KEY (event_id, occurred_at)
) PARTITION BY RANGE (occurred_at);
CREATE INDEX explanations_patient ON explanations(patient, occurred_at) WHERE kind = 'unexplained';

CREATE TABLE patient_events (
    patient     TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    event_id    BIGINT NOT NULL
) PARTITION BY RANGE (occurred_at);
CREATE INDEX patient_events_patient ON patient_events(patient, occurred_at);

CREATE TABLE actor_runs (
    actor_id BIGINT NOT NULL,
    first_at BIGINT NOT NULL,
    last_at  BIGINT NOT NULL,
    times    BIGINT[] NOT NULL,
    ids      BIGINT[] NOT NULL
) PARTITION BY RANGE (first_at);
CREATE INDEX actor_runs_actor ON actor_runs(actor_id, first_at);
CREATE VIEW actor_events AS
    SELECT r.actor_id, u.occurred_at, u.event_id
    FROM actor_runs r CROSS JOIN LATERAL unnest(r.times, r.ids) AS u(occurred_at, event_id);

CREATE TABLE events_kept PARTITION OF events FOR VALUES FROM (MINVALUE) TO (0);
CREATE TABLE explanations_kept PARTITION OF explanations FOR VALUES FROM (MINVALUE) TO (0);
CREATE TABLE patient_events_kept PARTITION OF patient_events FOR VALUES FROM (MINVALUE) TO (0);
CREATE TABLE actor_runs_kept PARTITION OF actor_runs FOR VALUES FROM (MINVALUE) TO (0);
INSERT INTO meta (key, value) VALUES ('events_kept_before', '0');

-- Events per day and source: what a prune removes is known without
-- counting the days it drops.
CREATE TABLE event_days (
    day       BIGINT NOT NULL,
    source_id BIGINT NOT NULL,
    events    BIGINT NOT NULL,
    PRIMARY KEY (day, source_id)
);

SELECT vigil_add_day(d) FROM (
    SELECT DISTINCT floor(occurred_at / 86400000000.0)::bigint AS d FROM events_v6
) days WHERE d >= 0;
INSERT INTO events SELECT * FROM events_v6;
INSERT INTO explanations SELECT * FROM explanations_v6;
INSERT INTO patient_events SELECT * FROM patient_events_v6;
-- A run never spans two days (so a prune never cuts one): the old runs
-- are split by day.
INSERT INTO actor_runs (actor_id, first_at, last_at, times, ids)
    SELECT actor_id, min(t), max(t), array_agg(t ORDER BY t, id), array_agg(id ORDER BY t, id)
    FROM (SELECT r.actor_id, u.t, u.id, floor(u.t / 86400000000.0)::bigint AS d,
                 (row_number() OVER (PARTITION BY r.actor_id, floor(u.t / 86400000000.0) ORDER BY u.t, u.id) - 1) / 1000 AS chunk
          FROM actor_runs_v6 r CROSS JOIN LATERAL unnest(r.times, r.ids) AS u(t, id)) x
    GROUP BY actor_id, d, chunk;
INSERT INTO event_days (day, source_id, events)
    SELECT floor(occurred_at / 86400000000.0)::bigint, source_id, count(*) FROM events_v6 GROUP BY 1, 2;
DROP TABLE events_v6, explanations_v6, patient_events_v6, actor_runs_v6;
