#!/usr/bin/env bash
# cli_transfer.sh: `ariadne import` / `ariadne export` end to end on SQLite and, when
# AD_TEST_PG names a server, PostgreSQL: every format, quirks, one transaction per import
# (a bad record without --skip-bad lands nothing), --skip-bad, and a round trip through the store.
set -u
tmp=$AD_TEST_TMP/cli_transfer
D=$AD_TEST_DATA/data/exchange
rm -rf "$tmp" && mkdir -p "$tmp"
unset ARIADNE_DB ARIADNE_USER
. "$AD_TEST_DATA/lib.sh"
A() { "$ARIADNE" "$@" --db "$DBURL"; }
count() { A export --format hashlist --hash md5 --all 2>/dev/null | wc -l; }

scenario() {
  DBURL=$1
  expect 0 A db init
  expect 0 A agency add "Unit A"
  # VICS 2.0 case form (US profile): upper-case hex, category, MediaFiles, metadata
  expect 0 A import "$D/vics2_us_cases.json" --json
  has '"records":1'
  expect 0 A media show C74B85D5C8AD19AA21A24DFD8E2769C8
  has "c74b85d5c8ad19aa21a24dfd8e2769c8"
  # VICS 1.3 quirks file (booleans as strings, BOM, unknown keys...)
  expect 0 A import "$D/vics13_quirks.json"
  # ICSE CSV and a hash list with quirks (comments, CRLF, categories), into named lists
  expect 0 A import "$D/icse_quirks.csv" --list icse-demo
  has "into list icse-demo"
  expect 0 A import "$D/hashlist_quirks.txt" --list quirks
  # a bad line without --skip-bad: nothing of that file lands
  before=$(count)
  printf '5a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b\n9f8e7d6c5b4a39281706f5e4d3c2b1a0\nnot-a-hash\n' > "$tmp/bad.txt"
  expect 1 A import "$tmp/bad.txt" --list bad
  grep -q "line 3" "$tmp/err" || fail "the error names the line"
  [ "$(count)" = "$before" ] || fail "a failed import changed the database"
  expect 1 A import "$tmp/bad.txt" --list bad --skip-bad
  has "2 records imported"
  [ "$(count)" = "$((before + 1))" ] || fail "--skip-bad should land the good records"
  # md5sum / sha1sum / sha256sum output is a hash list, found without --format; names with
  # blanks, a newline and a backslash (written '\'-escaped by coreutils) are read and not kept
  mkdir -p "$tmp/sums"
  printf 'one' > "$tmp/sums/a b.txt"; printf 'two' > "$tmp/sums/new
line"; printf 'three' > "$tmp/sums/back\\slash;MD5"
  (cd "$tmp/sums" && md5sum -- * > ../md5.sums && sha1sum -b -- * > ../sha1.sums &&
    sha256sum --tag -- * > ../sha256.sums) || fail "coreutils"
  grep -q '^\\' "$tmp/md5.sums" || fail "md5sum wrote no escaped line"
  for k in md5 sha1 sha256; do
    expect 0 A import "$tmp/$k.sums" --list sums-$k --json
    has '"records":3'
    has '"format":"hashlist"'
  done
  expect 0 A media show "$(printf three | sha256sum | cut -c1-64)"
  expect 0 A media show "$(printf two | md5sum | cut -c1-32)"
  # a series name in a record links the media to that series (created when new)
  cat > "$tmp/series.json" <<'JSON'
{"@odata.context":"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media",
 "value":[{"MediaID":1,"MD5":"00112233445566778899aabbccddeeff","Category":1,"Series":"Blue Room",
           "IsDistributed":true,"VictimIdentified":false}]}
JSON
  expect 0 A import "$tmp/series.json"
  expect 0 A media show 00112233445566778899aabbccddeeff
  has "Blue Room"
  # exports hold what the user chose, never everything by default: seized files nobody has
  # categorised never leave with a --scheme export
  mkdir -p "$tmp/seized"
  convert -size 48x48 gradient:red-blue "$tmp/seized/a.png" &&
    convert -size 48x48 radial-gradient:white-black "$tmp/seized/b.png" || fail "convert"
  expect 0 A ingest "$tmp/seized" --case C-1 --agency "Unit A" --no-report
  ma=$(md5sum < "$tmp/seized/a.png" | cut -c1-32); mb=$(md5sum < "$tmp/seized/b.png" | cut -c1-32)
  expect 0 A vote "$ma" vics-us 1
  expect 0 A export --format hashlist --hash md5 --scheme vics-us
  has "$ma,1"
  grep -q "$mb" "$tmp/out" && fail "an uncategorised seized file was exported"
  has "00112233445566778899aabbccddeeff,1" # imported with a category
  for f in vics icse-csv; do
    expect 0 A export --format $f --scheme vics-us
    has "$ma"
    grep -q "$mb" "$tmp/out" && fail "an uncategorised seized file was exported ($f)"
  done
  expect 0 A export --format hashlist --hash md5 --scheme vics-us --category 0
  grep -q "$ma" "$tmp/out" && fail "--category 0 exported a CAM vote"
  expect 0 A export --format hashlist --hash md5 --scheme vics-us --trusted
  grep -q "$ma" "$tmp/out" && fail "--trusted exported an untrusted category"
  expect 2 A export --format hashlist --hash md5
  says "choose what to export"
  expect 2 A export --format vics --all --scheme vics-us
  expect 2 A export --format hashlist --category 1
  expect 2 A export --format hashlist --scheme vics-us --category 7
  # --all is everything, and says what it could not write (records without an MD5 here)
  expect 1 A export --format hashlist --hash md5 --all
  says "could not be written"
  has "$mb"
  # every format; VICS 2.0 and 1.3 parse as JSON
  expect 0 A export --format vics --all -o "$tmp/all.json" --json
  schema export "$tmp/out"
  has '"all":true'
  expect 0 A export --format hashlist --hash md5 --scheme vics-us --category 1 --json
  schema export "$tmp/err"
  grep -q '"codes":\["1"\]' "$tmp/err" || fail "the summary names the codes"
  has "$ma,1"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["value"]) >= 5' "$tmp/all.json" || fail "VICS 2.0 export"
  expect 0 A export --format vics --vics-version 1.3 --all -o "$tmp/all13.json"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert "odata.metadata" in d' "$tmp/all13.json" || fail "VICS 1.3 export"
  expect 0 A export --format icse-csv --list icse-demo -o "$tmp/all.csv"
  head -1 "$tmp/all.csv" | grep -q "^MD5;SHA1" || fail "ICSE header"
  expect 0 A export --format hashlist --hash md5 --list quirks
  expect 0 A export --format hashlist --hash md5 --scheme vic-us --series "Blue Room"
  has "00112233445566778899aabbccddeeff,1"
  expect 0 A export --format hashlist --hash md5 --scheme vics-us --series "Blue Room"
  has "00112233445566778899aabbccddeeff,1"
  # one name per scheme: "vic-us" is an alias on input, stored and shown as "vics-us"
  expect 0 A vote 00112233445566778899aabbccddeeff vic-us 1 --voter alias-test
  expect 0 A media show 00112233445566778899aabbccddeeff --json
  has '"vics-us"'
  grep -q '"vic-us"' "$tmp/out" && fail "the alias was stored"
  expect 2 A export
  expect 2 A export --format nope
  # round trip through a second database: the same VICS comes out
  DB2=$2
  expect 0 "$ARIADNE" db init --db "$DB2"
  expect 0 "$ARIADNE" import "$tmp/all.json" --db "$DB2"
  expect 0 "$ARIADNE" export --format vics --all -o "$tmp/again.json" --db "$DB2"
  python3 - "$tmp/all.json" "$tmp/again.json" <<'PY' || fail "round trip through the store"
import json, sys
a, b = (json.load(open(p))["value"] for p in sys.argv[1:])
key = lambda m: (m.get("MD5",""), m.get("SHA1",""), json.dumps(m.get("AlternativeHashes",[])))
strip = lambda m: {k: v for k, v in m.items() if k != "MediaID"}
assert sorted(map(strip, a), key=key) == sorted(map(strip, b), key=key), (a, b)
PY
  expect 0 A audit verify
}

scenario "sqlite:$tmp/a.db" "sqlite:$tmp/b.db"
if [ -n "${AD_TEST_PG:-}" ]; then
  pa=ad_cli_transfer_a_$$; pb=ad_cli_transfer_b_$$
  psql "$AD_TEST_PG/postgres" -qc "CREATE DATABASE $pa" || fail "createdb"
  psql "$AD_TEST_PG/postgres" -qc "CREATE DATABASE $pb" || fail "createdb"
  trap 'psql "$AD_TEST_PG/postgres" -qc "DROP DATABASE IF EXISTS $pa WITH (FORCE)" >/dev/null 2>&1; psql "$AD_TEST_PG/postgres" -qc "DROP DATABASE IF EXISTS $pb WITH (FORCE)" >/dev/null 2>&1' EXIT
  scenario "$AD_TEST_PG/$pa" "$AD_TEST_PG/$pb"
fi
echo "cli_transfer: ok"
