#!/usr/bin/env bash
# cli_concurrency.sh: several processes writing one store at once (docs/store.md, "Several writers
# at once"). Five at a time: two ingests of exhibits holding the same files (under other names,
# one in a zip) into one new case, an ingest of the same files into a second case, and two
# imports of one hash list that names some of those files. Each must succeed, and the store
# must equal the one the same commands make one after another: media merged (no SHA-256 twice),
# every sighting, job item and list entry there, the audit chain linear and intact, and
# `audit verify` passing while they write. On SQLite,
# on PostgreSQL when AD_TEST_PG names a server, and on SQLite with a writer whose transaction
# outlasts the old 10 s lock wait (an import of a large list does): the next writer waits.
set -u
A=${ARIADNE:?}
T=$AD_TEST_TMP/cli_concurrency
rm -rf "$T" && mkdir -p "$T/a" "$T/b/zip"
unset ARIADNE_DB ARIADNE_USER ARIADNE_LOCK_WAIT
tmp=$T
. "$AD_TEST_DATA/lib.sh"
. "$AD_TEST_DATA/store_state.sh"

# --- data: exhibit a (60 files), exhibit b (the same 40 under upper-case names, 20 of them in a
# zip, and 20 of its own), a hash list naming 20 of them among 3000 other SHA-256 digests
/usr/bin/convert -seed 5 -size 160x120 plasma:fractal "$T/base.jpg" || fail convert
for i in $(seq 1 60); do cp "$T/base.jpg" "$T/a/f$i.jpg" && printf 'a%04d' "$i" >>"$T/a/f$i.jpg"; done
for i in $(seq 1 20); do cp "$T/a/f$i.jpg" "$T/b/F$i.JPG"; done
for i in $(seq 21 40); do cp "$T/a/f$i.jpg" "$T/b/zip/F$i.JPG"; done
(cd "$T/b/zip" && zip -q ../part.zip ./*.JPG) && rm -rf "$T/b/zip"
for i in $(seq 1 20); do cp "$T/base.jpg" "$T/b/own$i.jpg" && printf 'b%04d' "$i" >>"$T/b/own$i.jpg"; done
{
  for i in $(seq 1 20); do sha256sum "$T/a/f$((i * 3)).jpg" | cut -c1-64; done
  python3 -c 'import hashlib
for i in range(3000): print(hashlib.sha256(b"c%d" % i).hexdigest())'
} >"$T/list.txt"

# the five commands; $1 = the store
cmd() {
  case $2 in
    1) "$A" ingest "$T/a" --case C-1 --agency Hub --exhibit A --no-report --batch 8 --db "$1" ;;
    2) "$A" ingest "$T/b" --case C-1 --agency Hub --exhibit B --no-report --batch 8 --db "$1" ;;
    3) "$A" ingest "$T/a" --case C-2 --agency Hub --no-report --batch 8 --db "$1" ;;
    4 | 5) "$A" import "$T/list.txt" --list L --db "$1" ;;
  esac
}
any_alive() { local p; for p; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
init() { "$A" db init --db "$1" >/dev/null && "$A" agency add Hub --db "$1" >/dev/null || fail "init $1"; }

# round URL_TOGETHER URL_IN_TURN: the five commands at once into the first store, one after
# another into the second; the stores must be equal
round() {
  local at=$1 seq=$2 i pids=() rc
  init "$at"
  init "$seq"
  for i in 1 2 3 4 5; do cmd "$at" $i >"$T/out.$i" 2>"$T/err.$i" & pids+=($!); done
  # the chain verifies while they write (read in one snapshot: no false "rows removed")
  local checks=0
  while [ $checks -lt 40 ] && any_alive "${pids[@]}"; do
    expect 0 "$A" audit verify --db "$at"
    checks=$((checks + 1))
  done
  for i in 1 2 3 4 5; do
    wait "${pids[$((i - 1))]}"; rc=$?
    [ $rc -eq 0 ] || { cat "$T/out.$i" "$T/err.$i" >&2; fail "command $i at once into $at: exit $rc"; }
  done
  for i in 1 2 3 4 5; do cmd "$seq" $i >"$T/out" 2>"$T/err" || { cat "$T/err" >&2; fail "command $i into $seq"; }; done
  STATE_ORDER_FREE=1 same_state "$seq" "$at"
  [ "$(sql "$at" "SELECT count(*) FROM (SELECT sha256 FROM media GROUP BY sha256 HAVING count(*) > 1) d")" = 0 ] ||
    fail "a SHA-256 recorded twice in $at"
  # every file of the exhibits, in both cases: a 60 + b 61 (the zip too) in C-1, a 60 in C-2;
  # the list: 3020
  [ "$(sql "$at" "SELECT count(*) FROM sighting")" = 181 ] || fail "sightings lost or doubled in $at"
  [ "$(sql "$at" "SELECT count(*) FROM list_entry")" = 3020 ] || fail "list entries in $at"
  [ "$(sql "$at" "SELECT count(*) FROM ingest_job WHERE status = 'done'")" = 3 ] || fail "jobs in $at"
  # 81 contents (60 + the zip and 20 of b's own) and the list's 3,000 other hashes
  [ "$(sql "$at" "SELECT count(*) FROM media")" = 3081 ] || fail "media in $at"
  expect 0 "$A" audit verify --db "$at"
  # linear: one row per sequence number, each after the one before
  [ "$(sql "$at" "SELECT count(*) = max(seq) AND count(DISTINCT prev) = count(*) FROM audit")" = "$(sql "$at" "SELECT 1 = 1")" ] ||
    fail "audit chain of $at is not linear"
}

# --- SQLite, in the background meanwhile: transactions that hold the write lock, as an import of
# a large list does: 11 s (longer than the old 10 s lock wait), with an ingest that must wait for
# it; 3 s, with an ingest told to wait 1 s (ARIADNE_LOCK_WAIT), which must give up cleanly
hold() { # DB SECONDS: holds the write lock of DB; DB.ready appears once it is held
  python3 - "$1" "$2" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[1] + ".ready", "w").close()
time.sleep(float(sys.argv[2]))
c.execute("COMMIT")
PY
  holders+=($!)
  for _ in $(seq 1 100); do [ -e "$1.ready" ] && break; sleep 0.1; done
  [ -e "$1.ready" ] || fail "the lock holder of $1 did not start"
}
holders=()
init "sqlite:$T/long.db"
init "sqlite:$T/short.db"
hold "$T/long.db" 11
"$A" ingest "$T/a" --case L-1 --agency Hub --no-report --db "sqlite:$T/long.db" \
  >"$T/long.out" 2>"$T/long.err" &
long=$!
hold "$T/short.db" 3
ARIADNE_LOCK_WAIT=1 "$A" ingest "$T/b" --case S-1 --agency Hub --no-report \
  --db "sqlite:$T/short.db" >"$T/short.out" 2>"$T/short.err" &
short=$!

# PostgreSQL: the same with the audit head's row lock (which writers take first) held 3 s
PGAT="" PGSEQ="" PGLOCK=""
if [ -n "${AD_TEST_PG:-}" ]; then
  pgdbs=""
  trap 'for n in $pgdbs; do psql "$AD_TEST_PG/postgres" -qc "DROP DATABASE IF EXISTS $n WITH (FORCE)" >/dev/null 2>&1; done' EXIT
  for n in at seq lock; do
    db=cc_${n}_$$
    psql "$AD_TEST_PG/postgres" -qc "CREATE DATABASE $db" || fail "createdb"
    pgdbs="$pgdbs $db"
  done
  PGAT=$AD_TEST_PG/cc_at_$$ PGSEQ=$AD_TEST_PG/cc_seq_$$ PGLOCK=$AD_TEST_PG/cc_lock_$$
  init "$PGLOCK"
  psql "$PGLOCK" -qAt -c "BEGIN" -c "SELECT 1 FROM audit_head WHERE id = 1 FOR UPDATE" \
    -c "SELECT pg_sleep(3)" -c "COMMIT" >/dev/null &
  holders+=($!)
  sleep 0.5 # the lock is taken at once; the ingests come after it
  "$A" ingest "$T/a" --case L-1 --agency Hub --no-report --db "$PGLOCK" >"$T/pglong.out" 2>"$T/pglong.err" &
  pglong=$!
  ARIADNE_LOCK_WAIT=1 "$A" ingest "$T/b" --case S-1 --agency Hub --no-report --db "$PGLOCK" \
    >"$T/pgshort.out" 2>"$T/pgshort.err" &
  pgshort=$!
fi

round "sqlite:$T/at.db" "sqlite:$T/seq.db"
[ "$(sqlite3 "$T/at.db" "PRAGMA integrity_check")" = ok ] || fail "integrity_check of at.db"

if [ -n "$PGAT" ]; then
  round "$PGAT" "$PGSEQ"
else
  echo "cli_concurrency: AD_TEST_PG unset, PostgreSQL part skipped"
fi

for h in "${holders[@]}"; do wait "$h" || fail "a lock holder failed"; done
wait $long; rc=$?
[ $rc -eq 0 ] || { cat "$T/long.out" "$T/long.err" >&2; fail "an ingest waiting for a transaction of 11 s failed (exit $rc)"; }
[ "$(sql "sqlite:$T/long.db" "SELECT count(*) FROM ingest_item")" = 60 ] || fail "the waiting ingest's items"
expect 0 "$A" audit verify --db "sqlite:$T/long.db"
wait $short; rc=$?
[ $rc -eq 1 ] || { cat "$T/short.out" "$T/short.err" >&2; fail "an ingest that may wait 1 s: exit $rc (want 1)"; }
grep -q "write lock for more than 1 s (ARIADNE_LOCK_WAIT)" "$T/short.err" || { cat "$T/short.err" >&2; fail "no clear error after the lock wait"; }
[ "$(sql "sqlite:$T/short.db" "SELECT count(*) FROM cases")" = 0 ] || fail "a case made by the ingest that gave up"
expect 0 "$A" audit verify --db "sqlite:$T/short.db"
if [ -n "$PGLOCK" ]; then
  wait $pglong; rc=$?
  [ $rc -eq 0 ] || { cat "$T/pglong.out" "$T/pglong.err" >&2; fail "PostgreSQL: an ingest waiting for the lock failed (exit $rc)"; }
  wait $pgshort; rc=$?
  [ $rc -eq 1 ] || { cat "$T/pgshort.out" "$T/pgshort.err" >&2; fail "PostgreSQL: an ingest that may wait 1 s: exit $rc (want 1)"; }
  grep -q "held the database for more than 1 s (ARIADNE_LOCK_WAIT)" "$T/pgshort.err" || { cat "$T/pgshort.err" >&2; fail "PostgreSQL: no clear error after the lock wait"; }
  [ "$(sql "$PGLOCK" "SELECT count(*) FROM cases WHERE number = 'S-1'")" = 0 ] || fail "a case made by the ingest that gave up"
  [ "$(sql "$PGLOCK" "SELECT count(*) FROM ingest_item")" = 60 ] || fail "the waiting ingest's items (PostgreSQL)"
  expect 0 "$A" audit verify --db "$PGLOCK"
fi
echo "cli_concurrency: ok"
