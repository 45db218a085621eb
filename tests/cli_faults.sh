#!/usr/bin/env bash
# cli_faults.sh: nothing is lost and the store stays consistent when things go wrong
# (docs/store.md, "Failures"). On SQLite and, when AD_TEST_PG names a server, PostgreSQL:
#   - kill -9 at random points of `ingest` (resumed by `--job ID` or by the same command), of
#     `import` of a VICS file (one transaction: all or nothing) and of `export -o FILE` (FILE is
#     never left truncated): after each kill `audit verify` passes, and the store made through
#     the kills equals the store of an uninterrupted run (media, sightings, job items, lists,
#     series, votes, the report's class of every file);
#   - PostgreSQL (a private server of this test) stopped, then restarted, in the middle of an
#     ingest: a clear error within bounded time, then the same command finishes the job;
# and on SQLite:
#   - the disk full under the database (ingest, import) or under a report, an export or vPDQ
#     hash files: a clear error, no file left truncated, the database consistent (audit verify,
#     integrity_check), the command run again after freeing space finishes with the same store;
#   - a read-only and a damaged database file: every command that opens the store says so
#     (exit 1) and none crashes.
# The mounts (a small tmpfs, as root) are skipped with a message where mounting is not possible.
set -u
A=${ARIADNE:?}
T=$AD_TEST_TMP/cli_faults
mounts=() pgdbs=() pgdir="" bg=()
cleanup() {
  for p in "${bg[@]}"; do kill -9 "$p" 2>/dev/null; done
  for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
  for n in "${pgdbs[@]}"; do
    psql "$AD_TEST_PG/postgres" -qc "DROP DATABASE IF EXISTS $n WITH (FORCE)" >/dev/null 2>&1
  done
  [ -n "${pgstart:-}" ] && wait "$pgstart" 2>/dev/null # a start under way ends first
  [ -n "$pgdir" ] && "$AD_TEST_DATA/../scripts/pg-test-server" stop "$pgdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# what a run killed before may have left: its mounts, its server
for m in "$T"/mnt-*; do mountpoint -q "$m" 2>/dev/null && umount "$m"; done
[ -d "$T/pg/data" ] && "$AD_TEST_DATA/../scripts/pg-test-server" stop "$T/pg"
rm -rf "$T" && mkdir -p "$T/seizure" "$T/src"
unset ARIADNE_DB ARIADNE_USER ARIADNE_LOCK_WAIT
tmp=$T
. "$AD_TEST_DATA/lib.sh"
. "$AD_TEST_DATA/store_state.sh"
PGSERVER=$AD_TEST_DATA/../scripts/pg-test-server
if [ -n "${AD_TEST_PG:-}" ]; then # the private server for the stop and restart, started meanwhile
  pgdir=$T/pg
  "$PGSERVER" start "$pgdir" >"$T/pg.url" 2>"$T/pg.err" &
  pgstart=$!
fi

now() { date +%s%N; }
# a random delay between LO% and HI% of MS milliseconds, in seconds
delay() { local ms=$(( $3 * ($1 + RANDOM % ($2 - $1 + 1)) / 100 )); printf '%d.%03d' $((ms / 1000)) $((ms % 1000)); }
# killed DELAY CMD...: runs CMD, kills it (-9) after DELAY seconds (with $ROWS set: once the
# store ($db) holds ROWS job items, and DELAY after). 0: it was killed; 1: it had finished first
# (exit status in $rc). Output in $T/k.out, $T/k.err.
killed() {
  local d=$1
  shift
  "$@" >"$T/k.out" 2>"$T/k.err" &
  local pid=$!
  if [ -n "${ROWS:-}" ]; then
    while kill -0 $pid 2>/dev/null &&
      [ "$(sql "$db" "SELECT count(*) FROM ingest_item" 2>/dev/null || echo 0)" -lt "$ROWS" ]; do
      sleep 0.02
    done
  fi
  sleep "$d"
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null
  rc=$?
  [ $rc -eq 137 ]
}
# the exit status of a command that must fail cleanly: 1, no signal, no sanitizer report
clean_fail() { # RC WHAT
  [ "$1" -lt 128 ] || fail "$2: killed by a signal (exit $1)"
  grep -q "Sanitizer\|runtime error" "$tmp/err" && { cat "$tmp/err" >&2; fail "$2: sanitizer report"; }
  [ "$1" -eq 1 ] || { cat "$tmp/out" "$tmp/err" >&2; fail "$2: exit $1 (want 1)"; }
}
run() { "$@" >"$tmp/out" 2>"$tmp/err"; }
verify() { expect 0 "$A" audit verify --db "$1"; }

# --- data: a seizure (90 pictures, 30 more in a zip, a text file, a truncated picture), a list
# naming 15 of its files among other hashes (so that the report has known files too), and a VICS
# file of the seizure's media with a series, a victim and votes, and 6,000 other hashes
/usr/bin/convert -seed 7 -size 160x120 plasma:fractal "$T/base.jpg" || fail convert
for i in $(seq 1 120); do
  d=$T/seizure && [ $i -gt 90 ] && d=$T/src
  cp "$T/base.jpg" "$d/p$i.jpg" && printf 'f%04d' "$i" >>"$d/p$i.jpg"
done
(cd "$T/src" && zip -q ../seizure/part.zip ./*.jpg) || fail zip
echo "not a picture" >"$T/seizure/notes.txt"
head -c 2000 "$T/base.jpg" >"$T/seizure/cut.jpg"
ls "$T/seizure"/p*.jpg | head -15 | xargs sha256sum | cut -c1-64 >"$T/known.txt"
python3 -c 'import hashlib
for i in range(4000): print(hashlib.sha256(b"k%d" % i).hexdigest())' >>"$T/known.txt"
python3 -c 'import hashlib
for i in range(6000): print(hashlib.sha256(b"v%d" % i).hexdigest())' >"$T/more.txt"
V="sqlite:$T/vics-src.db"
sha256sum "$T"/seizure/*.jpg "$T"/src/*.jpg >"$T/seizure.sha256"
"$A" db init --db "$V" >/dev/null && "$A" agency add Hub --db "$V" >/dev/null &&
  "$A" import "$T/seizure.sha256" --db "$V" >/dev/null || fail "VICS source"
"$A" series create S1 --owner Hub --contact "s1@hub.example" --db "$V" >/dev/null || fail "series"
for f in p1 p2 p3 p4 p5; do
  "$A" series link S1 "$(sha256sum "$T/seizure/$f.jpg" | cut -c1-64)" --db "$V" >/dev/null ||
    fail "series link"
  "$A" vote "$(sha256sum "$T/seizure/$f.jpg" | cut -c1-64)" vics-us 1 --db "$V" >/dev/null || fail vote
done
"$A" victim add V1 --series S1 --db "$V" >/dev/null || fail "victim add"
"$A" import "$T/more.txt" --db "$V" >/dev/null || fail "import 6k"
"$A" export --format vics --all -o "$T/case.vics.json" --db "$V" 2>/dev/null || fail "export VICS"
VICS=$T/case.vics.json
# the same with the first 1,200 records (the seizure's among them), for the slower back end
python3 - "$VICS" "$T/small.vics.json" <<'PY' || fail "small VICS"
import json, sys
d = json.load(open(sys.argv[1]))
d["value"] = d["value"][:1200]
json.dump(d, open(sys.argv[2], "w"))
PY

# the commands of a store's life: the known list, the seizure, a VICS file
init() { "$A" db init --db "$1" >/dev/null && "$A" agency add Hub --db "$1" >/dev/null &&
  "$A" import "$T/known.txt" --list known --db "$1" >/dev/null || fail "init $1"; }
# (run in the background, as `killed` does, the subshell becomes the program: kill -9 reaches it)
x() { if [ "$BASHPID" != "$$" ]; then exec "$@"; else "$@"; fi; }
ingest() { x "$A" ingest "$T/seizure" --case C-1 --agency Hub --no-report --batch "${BATCH:-4}" --db "$@"; }
import() { x "$A" import "$VICS" --list vics --db "$1"; }

# --- kill -9 at random points, on one back end: $1 reference store, $2 store of the kills
kills() { # REF KILL LABEL
  local ref=$1 db=$2 t0 t_ingest t_import t_export n job
  local s_ingest=$T/ref-ingest.$3.state s_final=$T/ref-final.$3.state
  init "$ref"
  t0=$(now); ingest "$ref" >/dev/null 2>&1; [ $? -eq 1 ] || fail "reference ingest (want 1: cut.jpg)"
  t_ingest=$(( ($(now) - t0) / 1000000 ))
  state "$ref" C-1 | LC_ALL=C sort >"$s_ingest" || fail "state of $ref"
  t0=$(now); import "$ref" >/dev/null 2>&1 || fail "reference import"
  t_import=$(( ($(now) - t0) / 1000000 ))
  state "$ref" C-1 | LC_ALL=C sort >"$s_final" || fail "state of $ref"

  init "$db"
  # ingest: the first attempt killed early (starting, opening the job), the next ones each once
  # 6 to 17 more rows are in and a random moment after, resumed alternately by --job ID and by
  # the same command
  n=0 job=""
  killed "$(delay 0 10 $t_ingest)" ingest "$db" && n=1
  [ $n = 1 ] && job=$(sed -n '1s/^job \([^:]*\): .*/\1/p' "$T/k.out")
  verify "$db"
  while [ $n -ge 1 ] && [ $n -lt 6 ]; do
    local rows
    rows=$(( $(sql "$db" "SELECT count(*) FROM ingest_item") + 6 + RANDOM % 12 ))
    if [ -n "$job" ] && [ $((n % 2)) -eq 1 ]; then
      ROWS=$rows killed "$(delay 0 5 $t_ingest)" ingest "$db" --job "$job" || break
    else
      ROWS=$rows killed "$(delay 0 5 $t_ingest)" ingest "$db" || break
    fi
    n=$((n + 1))
    [ -z "$job" ] && job=$(sed -n '1s/^job \([^:]*\): .*/\1/p' "$T/k.out")
    verify "$db"
  done
  [ $n -ge 2 ] || fail "ingest into $db: $n kills (want 2 at least)"
  [ "$(sql "$db" "SELECT count(*) FROM audit WHERE action = 'job.resume'")" -ge 1 ] ||
    fail "ingest into $db: no kill fell inside the job (nothing resumed)"
  # the run that finishes (exit 1 when cut.jpg's error row is its own, else 0); after a kill, or
  # a refusal of the same command because the job had finished before its kill: --job ID
  [ $rc -gt 1 ] && { ingest "$db" ${job:+--job "$job"} >"$T/k.out" 2>"$T/k.err"; rc=$?; }
  { [ $rc -le 1 ] && ! grep -q "stopped" "$T/k.err"; } ||
    { cat "$T/k.out" "$T/k.err" >&2; fail "ingest after the kills: exit $rc"; }
  verify "$db"
  state "$db" C-1 | LC_ALL=C sort | diff "$s_ingest" - >&2 ||
    fail "the ingest killed $n times differs from the uninterrupted one ($db)"
  echo "ingest into $db: killed $n times"

  # import: one transaction; a killed import leaves nothing of it
  local media_before
  media_before=$(sql "$db" "SELECT count(*) FROM media")
  n=0
  for attempt in $(seq 1 3); do
    killed "$(delay 5 70 $t_import)" import "$db" || break
    n=$((n + 1))
    verify "$db"
    # all (killed after its commit) or nothing
    [ "$(sql "$db" "SELECT count(*) FROM hash_list WHERE name = 'vics'")" = 1 ] && { rc=0; break; }
    [ "$(sql "$db" "SELECT count(*) FROM media")" = "$media_before" ] || fail "a killed import left media"
  done
  [ $rc -eq 137 ] && { run import "$db"; rc=$?; }
  [ $rc -eq 0 ] || { cat "$T/k.err" "$tmp/err" >&2; fail "import after $n kills: exit $rc"; }
  verify "$db"
  state "$db" C-1 | LC_ALL=C sort | diff "$s_final" - >&2 ||
    fail "the import killed $n times differs from the uninterrupted one ($db)"
  # ... and run again after it had finished: nothing doubled (the votes of the file included)
  run import "$db" || fail "import again"
  state "$db" C-1 | LC_ALL=C sort | diff "$s_final" - >&2 || fail "an import run twice doubled records ($db)"
  echo "import into $db: killed $n times"

  # export -o FILE: FILE is the previous complete export or the new one, never a part
  rm -f "$T"/e.json*
  t0=$(now); expect 0 "$A" export --format vics --list vics -o "$T/e0.json" --db "$db"
  t_export=$(( ($(now) - t0) / 1000000 ))
  n=0
  for attempt in $(seq 1 "$EXPORT_KILLS"); do
    [ $((attempt % 2)) -eq 1 ] && rm -f "$T/e.json" # with and without a previous export
    if killed "$(delay 5 95 $t_export)" "$A" export --format vics --list vics -o "$T/e.json" --db "$db"; then
      n=$((n + 1))
      [ ! -e "$T/e.json" ] || cmp -s "$T/e.json" "$T/e0.json" ||
        fail "a killed export left a truncated $T/e.json ($(stat -c %s "$T/e.json") of $(stat -c %s "$T/e0.json") bytes)"
    else
      [ $rc -eq 0 ] || fail "export: exit $rc"
      cmp -s "$T/e.json" "$T/e0.json" || fail "export differs"
    fi
    [ -e "$T/e.json" ] || cp -p "$T/e0.json" "$T/e.json"
  done
  for f in "$T"/e.json?*; do [ -e "$f" ] || continue
    case $f in *.partial-*) ;; *) fail "an export left $f" ;; esac
  done
  verify "$db"
  echo "export from $db: killed $n times"
}

# (the export's file is the same on both back ends: fewer kills on the slower one)
EXPORT_KILLS=4 kills "sqlite:$T/ref.db" "sqlite:$T/kill.db" sqlite
[ "$(sqlite3 "$T/kill.db" "PRAGMA integrity_check")" = ok ] || fail "integrity_check of kill.db"
if [ -n "${AD_TEST_PG:-}" ]; then
  for n in ref kill; do
    pgdbs+=("cf_${n}_$$")
    psql "$AD_TEST_PG/postgres" -qc "CREATE DATABASE cf_${n}_$$" || fail createdb
  done
  EXPORT_KILLS=2 VICS=$T/small.vics.json kills "$AD_TEST_PG/cf_ref_$$" "$AD_TEST_PG/cf_kill_$$" pg
else
  echo "cli_faults: AD_TEST_PG unset, PostgreSQL part skipped"
fi

# --- PostgreSQL stopped, then restarted, in the middle of an ingest (a private server: the
# shared one must stay up). Each time: an error within bounded time that says the connection
# was lost, nothing of the open batch written; the same command finishes the job.
# stop_inside ACTION: an ingest (one row a batch), stopped by ACTION once 10 more rows are in
stop_inside() {
  local before pid
  before=$(sql "$R" "SELECT count(*) FROM ingest_item" 2>/dev/null || echo 0)
  BATCH=1 ingest "$R" >"$T/k.out" 2>"$T/k.err" &
  pid=$!
  bg+=($pid)
  for _ in $(seq 1 600); do
    [ "$(sql "$R" "SELECT count(*) FROM ingest_item")" -ge $((before + 10)) ] && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.05
  done
  kill -0 $pid 2>/dev/null || { cat "$T/k.out" "$T/k.err" >&2; fail "the ingest ended before the server stopped"; }
  "$@" || fail "$*"
  for _ in $(seq 1 1200); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
  kill -0 $pid 2>/dev/null && fail "ingest still running 60 s after the server stopped (a hang)"
  wait $pid; rc=$?
  [ $rc -eq 1 ] || { cat "$T/k.out" "$T/k.err" >&2; fail "ingest when the server stopped: exit $rc (want 1)"; }
  grep -q "the connection to the server was lost" "$T/k.err" && grep -q "resume with --job" "$T/k.err" ||
    { cat "$T/k.err" >&2; fail "no clear error when the server stopped"; }
}
restart() { "$PGSERVER" down "$pgdir" && "$PGSERVER" up "$pgdir"; }
if [ -n "${AD_TEST_PG:-}" ]; then
  wait $pgstart || { cat "$T/pg.err" >&2; fail "a private PostgreSQL server"; }
  P=$(cat "$T/pg.url")
  psql "$P/postgres" -qc "CREATE DATABASE r" || fail createdb
  R=$P/r
  init "$R"
  stop_inside "$PGSERVER" down "$pgdir"
  run ingest "$R"; clean_fail $? "ingest while the server is down"
  says "cannot connect to PostgreSQL"
  "$PGSERVER" up "$pgdir" || fail "server up"
  verify "$R"
  stop_inside restart
  verify "$R"
  run ingest "$R"; rc=$?
  { [ $rc -le 1 ] && ! grep -q stopped "$tmp/err"; } || { cat "$tmp/err" >&2; fail "ingest after the restart: exit $rc"; }
  verify "$R"
  state "$R" C-1 | LC_ALL=C sort | diff "$T/ref-ingest.pg.state" - >&2 ||
    fail "the ingest through a stop and a restart differs from the uninterrupted one"
  echo "PostgreSQL stopped and restarted in the middle of an ingest: ok"
fi

# --- a full disk (a small tmpfs) under the SQLite database, then under a report and an export
mnt() { # DIR SIZE: mounts a tmpfs of SIZE on DIR; fails when this is not possible
  mkdir -p "$1" && mount -t tmpfs -o "size=$2,mode=0700" tmpfs "$1" 2>/dev/null && mounts+=("$1")
}
fill() { # DIR KB: fills DIR's file system, leaving about KB kilobytes
  local avail
  avail=$(df -k --output=avail "$1" | tail -1)
  [ "$avail" -gt "$2" ] && head -c $(( (avail - $2) * 1024 )) /dev/zero >"$1/filler" 2>/dev/null
  return 0
}
if mnt "$T/mnt-db" 24m; then
  D=sqlite:$T/mnt-db/case.db
  init "$D"
  fill "$T/mnt-db" 192
  run ingest "$D"; clean_fail $? "ingest on a full disk"
  says "no space left for the database" && says "resume with --job"
  verify "$D"
  [ "$(sqlite3 "$T/mnt-db/case.db" "PRAGMA integrity_check")" = ok ] || fail "integrity_check on a full disk"
  rm "$T/mnt-db/filler"
  run ingest "$D"; rc=$?
  { [ $rc -le 1 ] && ! grep -q stopped "$tmp/err"; } || { cat "$tmp/err" >&2; fail "ingest after freeing space: exit $rc"; }
  state "$D" C-1 | LC_ALL=C sort | diff "$T/ref-ingest.sqlite.state" - >&2 ||
    fail "the ingest through a full disk differs from the uninterrupted one"
  media=$(sql "$D" "SELECT count(*) FROM media")
  fill "$T/mnt-db" 256
  run import "$D"; clean_fail $? "import on a full disk"
  says "no space left for the database"
  [ "$(sql "$D" "SELECT count(*) FROM media")" = "$media" ] || fail "an import on a full disk left media"
  verify "$D"
  rm "$T/mnt-db/filler"
  expect 0 import "$D"
  state "$D" C-1 | LC_ALL=C sort | diff "$T/ref-final.sqlite.state" - >&2 ||
    fail "the import through a full disk differs from the uninterrupted one"
  [ "$(sqlite3 "$T/mnt-db/case.db" "PRAGMA integrity_check")" = ok ] || fail "integrity_check after a full disk"
  echo "a full disk under the database: ok"
  mnt "$T/mnt-out" 4m || fail "second tmpfs"
  fill "$T/mnt-out" 16
  run "$A" report --case C-1 --agency Hub --db "$D" --out "$T/mnt-out/rep"; clean_fail $? "report on a full disk"
  says "No space left on device"
  [ -z "$(ls -A "$T/mnt-out/rep" 2>/dev/null)" ] || { ls -l "$T/mnt-out/rep" >&2; fail "a report on a full disk left files"; }
  run "$A" export --format vics --all -o "$T/mnt-out/x.json" --db "$D"; clean_fail $? "export on a full disk"
  says "No space left on device"
  [ "$(ls -A "$T/mnt-out")" = "filler
rep" ] || { ls -l "$T/mnt-out" >&2; fail "an export on a full disk left files"; }
  ffmpeg -loglevel error -f lavfi -i testsrc=size=64x48:rate=5:duration=1 -pix_fmt yuv420p \
    "$T/v.mp4" || fail ffmpeg
  mkdir -p "$T/mnt-out/vp"
  cat /dev/zero >"$T/mnt-out/filler2" 2>/dev/null # to the last block
  run "$A" vpdq --output "$T/mnt-out/vp" "$T/v.mp4"; clean_fail $? "vpdq on a full disk"
  says "No space left on device"
  [ -z "$(ls -A "$T/mnt-out/vp")" ] || { ls -l "$T/mnt-out/vp" >&2; fail "vpdq on a full disk left a file"; }
  verify "$D"
  rm "$T/mnt-out/filler" "$T/mnt-out/filler2"
  expect 0 "$A" vpdq --output "$T/mnt-out/vp" "$T/v.mp4"
  [ -s "$T/mnt-out/vp/v.mp4.txt" ] || fail "vpdq after freeing space"
  expect 0 "$A" report --case C-1 --agency Hub --db "$D" --out "$T/mnt-out/rep"
  python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/mnt-out/rep/report.json" || fail "report.json"
  expect 0 "$A" export --format vics --all -o "$T/mnt-out/x.json" --db "$D"
  python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/mnt-out/x.json" || fail "export"
  echo "a full disk under a report, an export and vPDQ hash files: ok"
else
  echo "cli_faults: cannot mount a tmpfs (not root?): the full-disk part is skipped"
fi

# --- a read-only and a damaged database file: every command that opens the store says so
# (exit 1), none crashes. each_command DB: runs them, $T/rc.N and $T/err.N per command
sha_p1=$(sha256sum "$T/seizure/p1.jpg" | cut -c1-64)
each_command() {
  local i=0
  for c in "db init" "ingest $T/seizure --case X-1 --agency Hub --no-report" "import $T/known.txt" \
    "report --case C-1 --agency Hub --out $T/rep-x" "media show $sha_p1" "audit verify"; do
    i=$((i + 1))
    # shellcheck disable=SC2086 # the words of the command
    "$A" $c --db "$1" >"$T/out.$i" 2>"$T/err.$i"
    echo $? >"$T/rc.$i"
    cp "$T/err.$i" "$tmp/err"
    [ "$(cat "$T/rc.$i")" -lt 128 ] && ! grep -q "Sanitizer\|runtime error" "$T/err.$i" ||
      { cat "$T/err.$i" >&2; fail "$c on $1: a crash (exit $(cat "$T/rc.$i"))"; }
  done
}
# must_fail WHAT PATTERN N...: commands N exit 1 with PATTERN in their message
must_fail() {
  local what=$1 pat=$2 i
  shift 2
  for i in "$@"; do
    [ "$(cat "$T/rc.$i")" = 1 ] && grep -q "$pat" "$T/err.$i" ||
      { cat "$T/out.$i" "$T/err.$i" >&2; fail "command $i on $what: exit $(cat "$T/rc.$i"), want 1 and '$pat'"; }
  done
}
sqlite3 "$T/kill.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null || fail checkpoint
ro=""
if mnt "$T/mnt-ro" 16m; then
  cp "$T/kill.db" "$T/mnt-ro/case.db" && mount -o remount,ro "$T/mnt-ro" && ro=$T/mnt-ro/case.db
elif [ "$(id -u)" != 0 ]; then
  mkdir -p "$T/ro" && cp "$T/kill.db" "$T/ro/case.db" && chmod 444 "$T/ro/case.db" && chmod 555 "$T/ro" &&
    ro=$T/ro/case.db
fi
if [ -n "$ro" ]; then
  before=$(sha256sum <"$ro")
  each_command "sqlite:$ro"
  must_fail "a read-only database" "cannot write the database file" 1 2 3 4 5 6
  [ "$(sha256sum <"$ro")" = "$before" ] || fail "a read-only database changed"
  echo "a read-only database: ok"
else
  echo "cli_faults: no read-only file system (root without mounts): the read-only part is skipped"
fi
chmod 755 "$T/ro" 2>/dev/null
# damaged: the middle third overwritten; then the header
cp "$T/kill.db" "$T/bad.db"
python3 - "$T/bad.db" <<'PY'
import os, random, sys
n = os.path.getsize(sys.argv[1])
with open(sys.argv[1], "r+b") as f:
    f.seek(n // 3)
    f.write(random.Random(11).randbytes(n // 3))
PY
each_command "sqlite:$T/bad.db"
must_fail "a damaged database" "damaged" 1 6
expect 1 "$A" audit verify --json --db "sqlite:$T/bad.db"
schema audit-verify "$tmp/out"
grep -q '"ok":false' "$tmp/out" || fail "audit verify --json of a damaged file"
for i in 2 3 4 5; do
  [ "$(cat "$T/rc.$i")" = 0 ] || must_fail "a damaged database" "damaged" $i
done
cp "$T/kill.db" "$T/bad.db"
python3 - "$T/bad.db" <<'PY'
import random, sys
with open(sys.argv[1], "r+b") as f:
    f.write(random.Random(12).randbytes(4096))
PY
each_command "sqlite:$T/bad.db"
must_fail "a database with a damaged header" "is not an SQLite database file" 1 2 3 4 5 6
echo "a damaged database: ok"

echo "cli_faults: ok"
