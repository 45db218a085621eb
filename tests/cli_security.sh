#!/usr/bin/env bash
# cli_security.sh: what the review of issue 11 found, on the command line. Files that hold
# custody data are created private whatever the umask: the SQLite database (0600, and its WAL),
# report folders (0700) and their files (0600), vPDQ hash files; an existing report folder of
# ours is narrowed. A claimed actor (--as, $ARIADNE_USER) is recorded in the audit beside the
# operating-system user really running the program, which $USER cannot fake.
set -u
A=${ARIADNE:?}
T=$AD_TEST_TMP/cli_security
rm -rf "$T" && mkdir -p "$T/seized"
unset ARIADNE_DB ARIADNE_USER
tmp=$T
. "$AD_TEST_DATA/lib.sh"
umask 022
mode() { stat -c %a "$1"; }
want_mode() { [ "$(mode "$1")" = "$2" ] || fail "$1 has mode $(mode "$1"), want $2"; }

cd "$T" || fail cd
DB="sqlite:$T/case.db"
/usr/bin/convert -seed 4 -size 64x64 plasma:fractal "$T/seized/a.jpg"
expect 0 "$A" db init --db "$DB"
want_mode "$T/case.db" 600
expect 0 "$A" agency add Unit --db "$DB"
mkdir -p "$T/old-report" && chmod 755 "$T/old-report"
expect 0 "$A" ingest "$T/seized" --case C1 --agency Unit --db "$DB" --report "$T/old-report" \
  --thumbnails
want_mode "$T/old-report" 700
for f in report.html report.json report.csv case.vics.json; do want_mode "$T/old-report/$f" 600; done
[ -e "$T/case.db-wal" ] && want_mode "$T/case.db-wal" 600
expect 0 "$A" report --case C1 --agency Unit --db "$DB" --out "$T/new-report"
want_mode "$T/new-report" 700
want_mode "$T/new-report/report.html" 600

# exports to partners

expect 0 "$A" export --format hashlist --hash md5 --all -o "$T/all.txt" --db "$DB"
want_mode "$T/all.txt" 600

# vPDQ hash files of seized videos
ffmpeg -loglevel error -f lavfi -i testsrc=size=64x48:rate=5:duration=1 -pix_fmt yuv420p "$T/v.mp4" ||
  fail ffmpeg
expect 0 "$A" vpdq --output "$T/vp" "$T/v.mp4"
want_mode "$T/vp/v.mp4.txt" 600

# CSV output neutralises formulas (file names are hostile input)
cp "$T/seized/a.jpg" "$T/=1+2.jpg"
( cd "$T" && "$A" hash --csv "=1+2.jpg" ) >"$tmp/out" || fail "hash --csv (relative)"
grep -q "^'=1+2.jpg," "$tmp/out" || { cat "$tmp/out" >&2; fail "hash --csv wrote a formula cell"; }

# a claimed actor is recorded with the OS user; $USER does not change who that is
me=$(id -un)
USER=mallory expect 0 "$A" --as alice agency add Other --db "$DB"
ARIADNE_USER=bob USER=mallory expect 0 "$A" case open C2 --agency Other --db "$DB"
USER=mallory expect 0 "$A" agency add Third --db "$DB"
expect 0 "$A" audit show --json --db "$DB"
grep -q "\"alice (os:$me)\"" "$tmp/out" || { cat "$tmp/out" >&2; fail "--as alice without the OS user"; }
grep -q "\"bob (os:$me)\"" "$tmp/out" || fail "ARIADNE_USER bob without the OS user"
grep -q "\"local:$me\"" "$tmp/out" || fail "no local:$me actor"
if grep -q mallory "$tmp/out"; then fail "\$USER was taken for the OS user"; fi
expect 0 "$A" audit verify --db "$DB"

# an anchor outside the database: the report carries the audit head; an intruder who can lift
# the guards cuts the tail, rewinds the head and puts the guards back, so that the chain reads
# as intact; the anchor in the report still finds the cut
expect 0 "$A" report --case C1 --agency Unit --db "$DB" --out "$T/anchored" --json
anchor=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["audit_anchor"])' \
  "$T/anchored/report.json")
case "$anchor" in [0-9]*:*) ;; *) fail "report.json has no audit anchor: $anchor" ;; esac
grep -q "$anchor" "$T/anchored/report.html" || fail "report.html lacks the audit anchor"
schema report "$T/anchored/report.json"
expect 0 "$A" audit verify --anchor "$anchor" --db "$DB" --json
schema audit-verify "$tmp/out"
expect 2 "$A" audit verify --anchor "12:zz" --db "$DB"
seq=${anchor%%:*}
keep=$((seq - 3))
sqlite3 "$T/case.db" "SELECT sql || ';' FROM sqlite_master WHERE type = 'trigger' AND
  tbl_name IN ('audit', 'audit_head')" >"$T/guards.sql"
[ -s "$T/guards.sql" ] || fail "no guards found"
sqlite3 "$T/case.db" "$(sqlite3 "$T/case.db" "SELECT 'DROP TRIGGER ' || name || ';' FROM
  sqlite_master WHERE type = 'trigger' AND tbl_name IN ('audit', 'audit_head')")
  DELETE FROM audit WHERE seq > $keep;
  UPDATE audit_head SET seq = $keep, hash = (SELECT hash FROM audit WHERE seq = $keep);" ||
  fail "the intrusion"
sqlite3 "$T/case.db" <"$T/guards.sql" || fail "putting the guards back"
expect 0 "$A" audit verify --db "$DB"
expect 1 "$A" audit verify --anchor "$anchor" --db "$DB"
says "is gone: the chain was cut back"
echo "cli_security: ok"
