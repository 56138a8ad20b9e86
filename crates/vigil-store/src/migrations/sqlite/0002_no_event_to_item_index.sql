-- Schema v2: the index from events back to the items that list them goes.
-- It cost every ingest with the rules a second b-tree insert per link (half
-- a million links for a million-line auth log); the two queries that used it
-- (`rule:` on events, and the daily sample's unflagged events) now start
-- from the items instead.
DROP INDEX IF EXISTS item_events_event;
