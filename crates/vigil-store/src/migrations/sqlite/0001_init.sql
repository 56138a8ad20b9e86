-- Vigil schema v1 (SQLite). Times are INTEGER microseconds since the Unix
-- epoch, UTC, so range scans compare integers.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE sources (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    -- the host that collected it: one store can take pulls from several hosts
    collector       TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    last_pull_at    INTEGER,
    last_success_at INTEGER,
    last_error      TEXT,
    last_error_at   INTEGER,
    -- events stored, kept by ingest so counting needs no scan
    events          INTEGER NOT NULL DEFAULT 0,
    UNIQUE (name, collector)
) STRICT;

-- One row per file content identity: the checkpoint of incremental reading.
CREATE TABLE streams (
    id         INTEGER PRIMARY KEY,
    source_id  INTEGER NOT NULL REFERENCES sources(id),
    path       TEXT NOT NULL,
    dev        INTEGER,
    inode      INTEGER,
    head_len   INTEGER NOT NULL,
    head_hash  TEXT NOT NULL,
    offset     INTEGER NOT NULL DEFAULT 0,
    records    INTEGER NOT NULL DEFAULT 0,
    parser_state TEXT NOT NULL DEFAULT '',
    status     TEXT NOT NULL DEFAULT 'active',
    first_seen INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX streams_source ON streams(source_id);
-- Two readers seeing the same new file agree on one stream for it.
CREATE UNIQUE INDEX streams_identity ON streams(source_id, head_len, head_hash) WHERE status = 'active';

-- Stretches of a source that may never have been read (truncation, lost records).
CREATE TABLE gaps (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL REFERENCES sources(id),
    stream_id   INTEGER REFERENCES streams(id),
    detected_at INTEGER NOT NULL,
    offset      INTEGER,
    reason      TEXT NOT NULL
) STRICT;

-- Actor names, interned: the actor index then compares integers, which keeps
-- insert cost down at millions of events a day.
CREATE TABLE actors (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL,
    stream_id   INTEGER NOT NULL,
    offset      INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    occurred_at INTEGER NOT NULL,
    time_basis  INTEGER NOT NULL,
    host        TEXT,
    program     TEXT,
    actor_id    INTEGER,
    subject     TEXT,
    action      TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    client      TEXT,
    detail      TEXT,
    raw         BLOB NOT NULL
) STRICT;
-- (stream_id, offset, seq) is a record's place in its stream. It is not
-- indexed: re-reading never doubles because a batch commits together with
-- its stream's checkpoint, and the checkpoint only moves forward from the
-- offset the reader started at (a compare-and-set), so two readers of one
-- file cannot both store it.
CREATE INDEX events_time ON events(occurred_at);
-- By source: the time index with a filter serves it, and per-source counts
-- are kept on `sources`, so ingest pays for one fewer index.

-- The by-actor index, kept by hand: an ingest transaction collects its
-- (actor, time, event) triples and inserts them sorted at commit, so each
-- actor's entries go in as one run instead of thousands of random inserts.
-- That keeps ingest cost linear at millions of events a day.
CREATE TABLE actor_events (
    actor_id    INTEGER NOT NULL,
    occurred_at INTEGER NOT NULL,
    event_id    INTEGER NOT NULL,
    PRIMARY KEY (actor_id, occurred_at, event_id)
) STRICT, WITHOUT ROWID;


CREATE TABLE quarantine (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL REFERENCES sources(id),
    stream_id   INTEGER REFERENCES streams(id),
    offset      INTEGER,
    reason      TEXT NOT NULL,
    raw         BLOB NOT NULL,
    recorded_at INTEGER NOT NULL
) STRICT;
CREATE INDEX quarantine_source ON quarantine(source_id);

CREATE TABLE items (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    source_id     INTEGER REFERENCES sources(id),
    occurred_at   INTEGER NOT NULL,
    actor         TEXT,
    subject       TEXT,
    title         TEXT NOT NULL,
    severity      INTEGER NOT NULL,
    -- workflow status without the claim: new, decided, escalated, reopened
    status        TEXT NOT NULL DEFAULT 'new',
    disposition   TEXT,
    -- the decision in force (a UUID in decisions), NULL when undecided
    decision_id   TEXT,
    -- NULL, 'pending' (a second reviewer must approve) or 'approved'
    approval      TEXT,
    -- a claim is a lease: it lapses by itself at claim_expires
    claimed_by    TEXT,
    claim_expires INTEGER,
    -- bumped on every change, for optimistic checks
    version       INTEGER NOT NULL DEFAULT 0,
    -- rule, actor and day for grouped findings: a rerun finds the same item
    group_key     TEXT UNIQUE,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX items_queue ON items(status, severity DESC, occurred_at);
CREATE INDEX items_time ON items(occurred_at);

CREATE TABLE item_rules (
    item_id INTEGER NOT NULL REFERENCES items(id),
    rule    TEXT NOT NULL,
    reason  TEXT NOT NULL,
    PRIMARY KEY (item_id, rule)
) STRICT, WITHOUT ROWID;

CREATE TABLE item_events (
    item_id  INTEGER NOT NULL REFERENCES items(id),
    event_id INTEGER NOT NULL,
    PRIMARY KEY (item_id, event_id)
) STRICT, WITHOUT ROWID;
-- Which items an event is in (sampling skips flagged events; `rule:` filters).
CREATE INDEX item_events_event ON item_events(event_id);

-- Every review act on an item, append-only: decisions, reverts (undo),
-- approvals and rejections by a second reviewer, reopenings.
CREATE TABLE decisions (
    id          TEXT PRIMARY KEY,          -- client-made UUID: a retry never doubles
    item_id     INTEGER NOT NULL REFERENCES items(id),
    kind        TEXT NOT NULL,             -- decide, revert, approve, reject, reopen
    reviewer    TEXT NOT NULL,
    decided_at  INTEGER NOT NULL,
    disposition TEXT,
    note        TEXT,
    reverts     TEXT REFERENCES decisions(id),
    -- the item's status before this act, so undo knows where to go back to
    prior_status TEXT,
    session     TEXT,
    ledger_seq  INTEGER NOT NULL
) STRICT;
CREATE INDEX decisions_item ON decisions(item_id);
CREATE INDEX decisions_seq ON decisions(ledger_seq);

CREATE TABLE incidents (
    id         INTEGER PRIMARY KEY,
    title      TEXT NOT NULL,
    severity   TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'open',
    assignee   TEXT,
    outcome    TEXT,
    opened_by  TEXT NOT NULL,
    opened_at  INTEGER NOT NULL,
    closed_at  INTEGER,
    -- asked on closing: does the risk register need an update?
    risk_update_needed INTEGER,
    remote_key TEXT,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE incident_events (
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    event_id    INTEGER NOT NULL,
    PRIMARY KEY (incident_id, event_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE incident_items (
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    item_id     INTEGER NOT NULL REFERENCES items(id),
    PRIMARY KEY (incident_id, item_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE incident_notes (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    author      TEXT NOT NULL,
    at          INTEGER NOT NULL,
    note        TEXT NOT NULL
) STRICT;

CREATE TABLE sanctions (
    id          INTEGER PRIMARY KEY,
    member      TEXT NOT NULL,
    category    TEXT NOT NULL,
    tier        TEXT NOT NULL,
    sanction    TEXT NOT NULL,
    decided_by  TEXT NOT NULL,
    decided_on  TEXT NOT NULL,
    incident_id INTEGER REFERENCES incidents(id),
    decision_ids TEXT NOT NULL DEFAULT '[]',
    notice_sent INTEGER NOT NULL DEFAULT 0,
    note        TEXT,
    created_at  INTEGER NOT NULL
) STRICT;

-- The workforce roster: who is who across systems (separation of duties,
-- and the rules' relationship checks). ePHI-adjacent: never logged.
CREATE TABLE people (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    department  TEXT,
    status      TEXT NOT NULL DEFAULT 'active',
    terminated_on TEXT,
    address     TEXT,
    supervisor  TEXT,
    shift       TEXT,
    relatives   TEXT NOT NULL DEFAULT '[]'
) STRICT;

CREATE TABLE patients (
    mrn           TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    address       TEXT,
    date_of_death TEXT,
    vip           INTEGER NOT NULL DEFAULT 0,
    employee_id   TEXT
) STRICT;

-- What the first-seen rule has seen: an actor's first appearance, and each
-- address, host and object per actor.
CREATE TABLE seen (
    actor    TEXT NOT NULL,
    what     TEXT NOT NULL,
    value    TEXT NOT NULL,
    first_at INTEGER NOT NULL,
    PRIMARY KEY (actor, what, value)
) STRICT, WITHOUT ROWID;

-- "This is expected": findings for an actor (on a subject, for a rule) are
-- not raised, and open items not shown, until the suppression expires.
CREATE TABLE suppressions (
    id         INTEGER PRIMARY KEY,
    actor      TEXT NOT NULL,
    subject    TEXT,
    rule       TEXT,
    until      INTEGER NOT NULL,
    reason     TEXT NOT NULL,
    owner      TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE person_accounts (
    account   TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people(id)
) STRICT;

CREATE TABLE risks (
    id            INTEGER PRIMARY KEY,
    asset         TEXT NOT NULL,
    threat        TEXT NOT NULL,
    vulnerability TEXT NOT NULL,
    likelihood    INTEGER NOT NULL,
    impact        INTEGER NOT NULL,
    residual      INTEGER,
    treatment     TEXT,
    safeguards    TEXT,
    owner         TEXT,
    next_review   TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE risk_sources (
    risk_id   INTEGER NOT NULL REFERENCES risks(id),
    source_id INTEGER NOT NULL REFERENCES sources(id),
    PRIMARY KEY (risk_id, source_id)
) STRICT, WITHOUT ROWID;

-- Append-only hash chain over every change to review state.
CREATE TABLE ledger (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    payload   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
) STRICT;

-- Append-only, even for vigil's own code. Someone with write access to the
-- file can drop these; the hash chain is what catches them.
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'the ledger is append-only');
END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'the ledger is append-only');
END;
