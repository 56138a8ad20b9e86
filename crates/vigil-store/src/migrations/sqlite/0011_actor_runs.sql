-- Schema v11: the by-actor index holds one row per run of an actor's events
-- in an ingest commit (up to 1,000, times and ids as JSON arrays), as on
-- PostgreSQL, instead of a row per event. A row per event was a B-tree
-- insert at a scattered place for every event, some 15% of an ingest's
-- writing; a bastion's million lines come from a few thousand account
-- names, so a commit holds few runs. `actor:` filters read the ids with
-- json_each; an actor's timeline decodes the runs it overlaps.
CREATE TABLE actor_runs (
    actor_id INTEGER NOT NULL,
    first_at INTEGER NOT NULL,
    last_at  INTEGER NOT NULL,
    times    TEXT NOT NULL,
    ids      TEXT NOT NULL
) STRICT;
INSERT INTO actor_runs (actor_id, first_at, last_at, times, ids)
    SELECT actor_id, min(occurred_at), max(occurred_at),
           json_group_array(occurred_at ORDER BY occurred_at, event_id),
           json_group_array(event_id ORDER BY occurred_at, event_id)
    FROM (SELECT actor_id, occurred_at, event_id,
                 (row_number() OVER (PARTITION BY actor_id ORDER BY occurred_at, event_id) - 1) / 1000 AS chunk
          FROM actor_events)
    GROUP BY actor_id, chunk;
DROP TABLE actor_events;
CREATE INDEX actor_runs_actor ON actor_runs(actor_id, last_at);
