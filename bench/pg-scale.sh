#!/usr/bin/env bash
# PostgreSQL at a health system's volume (README, "Benchmarks"): EVENTS
# (default 100,000,000) EHR access rows loaded by HOSTS collectors at once
# (default 2) over DAYS days (default 60) into a fresh database on the local
# server (VIGIL_BENCH_PG, default postgres://postgres@127.0.0.1:5432), with
# the ingest rate in each tenth of the load; then the queue's first page, a
# filter count, an actor's day, a patient's accesses and pruning 30 days.
# 100M events take some 35 GB of disk and a quarter of an hour or more.
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${1:-100000000}
HOSTS=${HOSTS:-2}
DAYS=${DAYS:-60}
PG=${VIGIL_BENCH_PG:-postgres://postgres@127.0.0.1:5432}
DB=vigil_scale_$$
cargo build --release --quiet --example pg-scale
trap 'psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true' EXIT
psql "$PG/postgres" -qc "CREATE DATABASE $DB" >/dev/null
echo "events: $EVENTS; collectors: $HOSTS; days: $DAYS; $(nproc) cores; $(psql "$PG/postgres" -tAc 'SELECT version()' | cut -d, -f1)"
/usr/bin/time -f "whole run: %e s, peak RSS %M KiB" ./target/release/examples/pg-scale "$PG/$DB" "$EVENTS" "$HOSTS" "$DAYS"
psql "$PG/postgres" -tAc "SELECT 'database size after the prune: ' || pg_size_pretty(pg_database_size('$DB'))"
