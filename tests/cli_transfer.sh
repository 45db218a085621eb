#!/usr/bin/env bash
# cli_transfer.sh: `ariadne import` / `ariadne export` end to end on SQLite and, when
# AD_TEST_PG names a server, PostgreSQL: every format, quirks, one transaction per import
# (a bad record without --skip-bad lands nothing), --skip-bad, md5sum output, exports of what
# the user chose only, a round trip through the store, and identification, series, owner and
# contact carried between two databases by VICS 2.0, VICS 1.3 and ICSE CSV.
set -u
tmp=$AD_TEST_TMP/cli_transfer
D=$AD_TEST_DATA/data/exchange
rm -rf "$tmp" && mkdir -p "$tmp"
unset ARIADNE_DB ARIADNE_USER
. "$AD_TEST_DATA/lib.sh"
A() { "$ARIADNE" "$@" --db "$DBURL"; }
count() { A export --format hashlist --hash md5 --all 2>/dev/null | wc -l; }
# newdb NAME: the URL of a new, empty database on the back end under test ($BACKEND)
newdb() {
  if [ "$BACKEND" = pg ]; then
    local n=ad_cli_transfer_${1}_$$_$RANDOM
    psql "$AD_TEST_PG/postgres" -qc "CREATE DATABASE $n" >/dev/null || fail "createdb $n"
    echo "$n" >> "$tmp/pgdbs"
    echo "$AD_TEST_PG/$n"
  else
    rm -f "$tmp/$1.db"
    echo "sqlite:$tmp/$1.db"
  fi
}
# agree DB: the summary of the last import ($tmp/out, --json) and the import's audit row say the
# same, and its "new" is what the media.upsert rows of that import say (issue 11: a summary said
# "20000 new" while the audit said new=0: the summary counted rows before and after, so it also
# counted what other writers added meanwhile)
agree() {
  "$ARIADNE" audit show --json --db "$1" > "$tmp/audit" || fail "audit show"
  python3 - "$tmp/out" "$tmp/audit" <<'PY' || fail "the import's summary and audit rows differ"
import json, re, sys
summary = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]
rows = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
imports = [i for i, r in enumerate(rows) if r["action"] == "import"]
last, prev = imports[-1], (imports[-2] if len(imports) > 1 else -1)
detail = dict(re.findall(r"(\w+)=(\d+)", rows[last]["detail"]))
for k in ("records", "new", "merged", "bad", "votes", "series_links", "agencies_created",
          "series_created", "victims_added", "victims_identified"):
    assert int(detail[k]) == summary[k], (k, detail[k], summary[k])
upserted = sum(int(re.search(r"new=(\d+)", r["detail"]).group(1))
               for r in rows[prev + 1:last] if r["action"] == "media.upsert")
assert upserted == summary["new"], (upserted, summary["new"])
PY
}
# show DB HASH CLASS OWNER CONTACT: `media show` in DB classifies HASH as CLASS and names that
# owner and contact
show() {
  "$ARIADNE" media show "$2" --json --db "$1" > "$tmp/show" 2>&1 || { cat "$tmp/show"; fail "media show $2"; }
  python3 - "$tmp/show" "$3" "$4" "$5" <<'PY' || fail "media $2 in $1"
import json, sys
d = json.load(open(sys.argv[1]))["classification"]
c = d.get("series") or {}
got = [d["class"], c.get("owner") or "", c.get("contact") or ""]
assert got == sys.argv[2:], (got, sys.argv[2:])
PY
}

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
  expect 1 A import "$tmp/bad.txt" --list bad --skip-bad --json
  schema import "$tmp/out" --lines
  has '"bad":"record"'
  has '"records":2'
  agree "$DBURL"
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
  agree "$DBURL"
  # more records than one batch, then the same again: new, then merged, as the audit says
  for i in $(seq 1 5000); do printf '%032x\n' $((i * 7919)); done > "$tmp/many.txt"
  expect 0 A import "$tmp/many.txt" --json
  has '"new":5000'
  agree "$DBURL"
  expect 0 A import "$tmp/many.txt" --json
  has '"new":0,"merged":5000'
  agree "$DBURL"
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

# Sharing what matters most: after `victim identify`, VICS 2.0, VICS 1.3 and ICSE CSV carry the
# identification, the series, its owner and contact into a database that does not know the
# owner, and into one that does and holds a series of the same name owned by someone else.
series_roundtrip() {
  local S1 D2 D3 f m1=11112233445566778899aabbccddeeff m2=22112233445566778899aabbccddeeff
  local m3=33112233445566778899aabbccddeeff
  S1=$(newdb source)
  X() { "$ARIADNE" "$@" --db "$S1"; }
  expect 0 X db init
  expect 0 X agency add NCA --country GB
  cat > "$tmp/seed.json" <<JSON
{"@odata.context":"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/\$metadata#Media",
 "value":[{"MediaID":1,"MD5":"$m1","SHA1":"1111223344556677889900112233445566778899"},
          {"MediaID":2,"MD5":"$m2","SHA1":"2211223344556677889900112233445566778899"},
          {"MediaID":3,"MD5":"$m3"}]}
JSON
  expect 0 X import "$tmp/seed.json" --list seed
  expect 0 X series create "Series 12" --owner NCA --contact "vid@nca.example"
  expect 0 X series link "Series 12" $m1
  expect 0 X victim add V-0012 --series "Series 12"
  expect 0 X victim identify V-0012 --agency NCA --country GB
  expect 0 X series create "Series 13" --owner NCA --contact "other@nca.example"
  expect 0 X series link "Series 13" $m2
  expect 0 X victim add V-0013 --series "Series 13"
  show "$S1" $m1 known-identified NCA vid@nca.example
  show "$S1" $m2 known-unidentified NCA other@nca.example
  for f in "vics" "vics --vics-version 1.3" "icse-csv"; do
    expect 0 X export --format $f --list seed -o "$tmp/share"
    # the formats' own fields say it to every reader
    if [ "$f" = icse-csv ]; then
      grep -q "^$m1;.*;true;;Series 12;" "$tmp/share" || fail "ICSE: victim identified, series"
      grep -q "^$m2;.*;false;;Series 13;" "$tmp/share" || fail "ICSE: victim not identified"
    else
      python3 - "$tmp/share" $m1 $m2 <<'PY' || fail "VICS ($f): VictimIdentified, Series"
import json, sys
v = {m["MD5"]: m for m in json.load(open(sys.argv[1]))["value"]}
assert v[sys.argv[2]]["VictimIdentified"] is True and v[sys.argv[2]]["Series"] == "Series 12"
assert v[sys.argv[3]]["VictimIdentified"] is False and v[sys.argv[3]]["Series"] == "Series 13"
assert v[sys.argv[2]]["@Ariadne.Series"][0]["Owner"]["Name"] == "NCA"
PY
    fi
    # a database that has never heard of the owner: it is created from the file
    D2=$(newdb fresh)
    expect 0 "$ARIADNE" db init --db "$D2"
    expect 0 "$ARIADNE" import "$tmp/share" --db "$D2" --json
    schema import "$tmp/out" --lines
    agree "$D2"
    has '"agencies_created":1'
    has '"series_created":2'
    has '"victims_added":2'
    has '"victims_identified":1'
    show "$D2" $m1 known-identified NCA vid@nca.example
    show "$D2" $m2 known-unidentified NCA other@nca.example
    show "$D2" $m3 known-unseriesed "" ""
    expect 0 "$ARIADNE" agency list --json --db "$D2"
    has '"name":"NCA","country":"GB","kind":"police"'
    # identification is monotonic: identified here, a file that says otherwise changes nothing
    expect 0 "$ARIADNE" victim identify V-0013 --agency NCA --country GB --db "$D2"
    expect 0 "$ARIADNE" import "$tmp/share" --db "$D2" --json
    has '"victims_identified":0'
    has '"series_created":0'
    show "$D2" $m2 known-identified NCA other@nca.example
    # the rest does not depend on the format: once (it keeps the test short)
    [ "$f" = vics ] || continue
    # a database that knows the owner, has a "Series 13" of another agency (kept apart) and a
    # "Series 12" of no owner (adopted)
    D3=$(newdb known)
    expect 0 "$ARIADNE" db init --db "$D3"
    expect 0 "$ARIADNE" agency add NCA --country GB --db "$D3"
    expect 0 "$ARIADNE" agency add FBI --country US --db "$D3"
    expect 0 "$ARIADNE" series create "Series 13" --owner FBI --contact "cac@fbi.example" --db "$D3"
    expect 0 "$ARIADNE" series create "Series 12" --db "$D3"
    expect 0 "$ARIADNE" import "$tmp/share" --db "$D3" --json
    schema import "$tmp/out" --lines
    has '"agencies_created":0'
    has '"series_apart":1'
    has '"series_filled":1'
    has '"note":"series .Series 13. of NCA'
    show "$D3" $m1 known-identified NCA vid@nca.example
    show "$D3" $m2 known-unidentified NCA other@nca.example
    expect 0 "$ARIADNE" series list --db "$D3"
    has "Series 13 (NCA)"
    # names the store would read as ids: series "42" of agency "7"
    sed 's/"Series 12"/"42"/g; s/"NCA"/"7"/g' "$tmp/share" > "$tmp/numeric.json"
    expect 0 "$ARIADNE" import "$tmp/numeric.json" --db "$D3"
    expect 0 "$ARIADNE" media show $m1 --json --db "$D3"
    has '"name":"Series 42","owner":"Agency 7"'
    expect 0 "$ARIADNE" audit verify --db "$D3"
  done
}

BACKEND=sqlite
scenario "sqlite:$tmp/a.db" "sqlite:$tmp/b.db"
series_roundtrip
if [ -n "${AD_TEST_PG:-}" ]; then
  BACKEND=pg
  : > "$tmp/pgdbs"
  trap 'while read -r n; do psql "$AD_TEST_PG/postgres" -qc "DROP DATABASE IF EXISTS $n WITH (FORCE)" >/dev/null 2>&1; done < "$tmp/pgdbs"' EXIT
  scenario "$(newdb a)" "$(newdb b)"
  series_roundtrip
fi
echo "cli_transfer: ok"
