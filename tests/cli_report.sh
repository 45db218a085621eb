#!/usr/bin/env bash
# cli_report.sh: the report of a real ingest. It names what it was made from: the store given with
# --db (run from another folder: the database's absolute path, never ./ariadne.db; a PostgreSQL
# URL without its password), every job of the case with its roots, exhibit, who ran it, when and
# how it ended, the Ariadne version and who made the report; in report.html, report.json and the
# printed summary. report.json is valid against docs/schemas/report.schema.json; report.csv has
# the columns docs/ingest.md lists. The HTML parses as HTML5 without error, puts new material
# first and links the summary to its sections, gives times in ISO 8601 with their zone (a capture
# time with its own offset, or marked as the camera clock), camera make and model apart, and
# places a photo's GPS position on the world basemap; no image content, nothing from the network.
set -u
A=${ARIADNE:?}
T=$AD_TEST_TMP/cli_report
rm -rf "$T" && mkdir -p "$T/work" "$T/seized dir/sub" "$T/more"
unset ARIADNE_DB ARIADNE_USER
tmp=$T
. "$AD_TEST_DATA/lib.sh"
C=/usr/bin/convert
exif() { exiftool -q -overwrite_original "$@" || fail "exiftool $*"; }

# --- a seizure: a photo with GPS (the Eiffel tower), a make with a space and an offset time; a
# photo with a capture time and no offset; a text file. A second root read by a second job.
$C -seed 1 -size 320x240 plasma:fractal "$T/seized dir/gps.jpg"
exif -Make="NIKON CORPORATION" -Model="NIKON D70" -DateTimeOriginal="2021:07:04 15:30:00" \
  -OffsetTimeOriginal="+02:00" -GPSLatitude=48.8584 -GPSLatitudeRef=N -GPSLongitude=2.2945 \
  -GPSLongitudeRef=E "$T/seized dir/gps.jpg"
$C -seed 2 -size 320x240 plasma:fractal "$T/seized dir/sub/clock.jpg"
exif -Make=Canon -Model="Canon EOS 5D" -DateTimeOriginal="2020:01:02 03:04:05" "$T/seized dir/sub/clock.jpg"
echo "a note" > "$T/seized dir/notes.txt"
$C -seed 3 -size 200x200 plasma:fractal "$T/more/=cmd|' \"x.jpg"
exif -Make="=1+2" -Model="@SUM(1)" "$T/more/=cmd|' \"x.jpg"

cd "$T/work" || fail "cd"
DB="sqlite:other.db"
expect 0 "$A" db init --db "$DB"
expect 0 "$A" agency add "Unit A" --db "$DB"
expect 0 "$A" user add investigator1 --agency "Unit A" --role investigator --db "$DB"
expect 0 "$A" user add analyst2 --agency "Unit A" --role analyst --db "$DB"
# (job ids given: jobs started in the same second are listed in id order)
expect 0 "$A" ingest "$T/seized dir" --case C-9 --agency "Unit A" --exhibit EX-1 --db "$DB" \
  --as investigator1 --no-report --job J-1 --thumbnails
expect 0 "$A" ingest "$T/more" --case C-9 --agency "Unit A" --exhibit EX-2 --db "$DB" \
  --as analyst2 --no-report --job J-2
[ -e ariadne.db ] && fail "a store was made in the working folder"

# --- the report, from the same folder, with --db as given
expect 0 "$A" report --case C-9 --agency "Unit A" --db "$DB" --as analyst2 --out "$T/rep"
has "store: sqlite:$T/work/other.db"
has "job J-1 (done, run by investigator1, .*, exhibit EX-1): $T/seized dir"
has "run by analyst2"
has "with Ariadne $("$A" --version | cut -d' ' -f2)"
has "by analyst2 (operating-system user $(id -un))"
grep -q "ariadne.db" "$tmp/out" && fail "the summary names ./ariadne.db"
R=$T/rep
for f in report.html report.json report.csv; do [ -s "$R/$f" ] || fail "no $f"; done
schema report "$R/report.json"
grep -q "ariadne\.db" "$R/report.html" "$R/report.json" && fail "the report names ./ariadne.db"

/usr/bin/python3 - "$R/report.json" "$T" "$("$A" --version | cut -d' ' -f2)" "$(id -un)" <<'PY' || fail "report.json"
import json, sys
r = json.load(open(sys.argv[1]))
t, version, user = sys.argv[2], sys.argv[3], sys.argv[4]
assert r["store"] == f"sqlite:{t}/work/other.db", r["store"]
assert r["ariadne_version"] == version, r["ariadne_version"]
assert r["made_by"] == {"actor": "analyst2", "os_user": user}, r["made_by"]
jobs = r["jobs"]
assert [j["id"] for j in jobs] == ["J-1", "J-2"], jobs
assert [j["roots"] for j in jobs] == [[f"{t}/seized dir"], [f"{t}/more"]], jobs
assert [j["who"] for j in jobs] == ["investigator1", "analyst2"], jobs
assert [j["exhibit"] for j in jobs] == ["EX-1", "EX-2"], jobs
assert all(j["status"] == "done" and j["started"] <= j["finished"] for j in jobs), jobs
assert r["job"] == "J-2" and r["exhibit"] == "EX-1"
assert r["total"] == len(r["files"]) == sum(r["counts"].values()) == 4, r["counts"]
by = {f["path"].rsplit("/", 1)[-1]: f for f in r["files"]}
g = by["gps.jpg"]["clues"]
assert g["camera_make"] == "NIKON CORPORATION" and g["camera_model"] == "NIKON D70", g
assert g["captured"] == "2021-07-04T15:30:00+02:00", g
assert abs(g["lat"] - 48.8584) < 1e-6 and abs(g["lon"] - 2.2945) < 1e-6, g
c = by["clock.jpg"]["clues"]
assert c["captured"] == "2020-01-02T03:04:05" and c["camera_model"] == "Canon EOS 5D", c
assert by["notes.txt"]["class"] == "other"
PY

# report.csv: the columns docs/ingest.md lists, in that order; a name a spreadsheet would run
# as a formula is neutralised
/usr/bin/python3 - "$R/report.csv" "$AD_TEST_DATA/../docs/ingest.md" <<'PY' || fail "report.csv"
import csv, re, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
doc = open(sys.argv[2]).read()
part = doc[doc.index("<!-- report.csv columns -->"):doc.index("<!-- end of report.csv columns -->")]
cols = re.findall(r"^\| `([a-z0-9_]+)` \|", part, re.M)
assert rows[0] == cols, (rows[0], cols)
assert len(rows) == 5 and all(len(x) == len(cols) for x in rows)
d = {x[0].rsplit("/", 1)[-1]: dict(zip(cols, x)) for x in rows[1:]}
g = d["gps.jpg"]
assert (g["camera_make"], g["camera_model"], g["captured"]) == ("NIKON CORPORATION", "NIKON D70", "2021-07-04T15:30:00+02:00"), g
x = [d for d in rows[1:] if d[0].endswith("x.jpg")][0]
x = dict(zip(cols, x))
assert x["path"].endswith("/=cmd|' \"x.jpg"), x  # starts with '/': kept as it is
assert (x["camera_make"], x["camera_model"]) == ("'=1+2", "'@SUM(1)"), x
PY

# report.html: valid HTML5, in order, linked, ISO times, make and model apart, the map
/usr/bin/python3 - "$R/report.html" "$T" <<'PY' || fail "report.html"
import re, sys
import html5lib
html = open(sys.argv[1], encoding="utf-8").read()
t = sys.argv[2]
html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(html)  # raises on any parse error
def at(s):
    i = html.find(s)
    assert i >= 0, "missing: " + s
    return i
assert at('<h2 id="new">') < at('<h2 id="known-unidentified">') < at('<h2 id="gps">') < at('id="known-unseriesed"')
for href in re.findall(r'href="([^"]*)"', html):
    assert href.startswith("#") and f'id="{href[1:]}"' in html, href
assert not re.search(r"\bsrc=", html), "no image content without --thumbnails"
assert [u for u in re.findall(r"https?://[^\"' <]*", html) if u != "http://www.w3.org/2000/svg"] == []
at(f"sqlite:{t}/work/other.db")
at(f"<td>J-1</td><td>EX-1</td><td class=\"path\">{t}/seized dir</td><td>investigator1</td>")
at("<td>NIKON CORPORATION</td><td>NIKON D70</td>")
at("=cmd|&#39; &quot;x.jpg")
at(">2021-07-04T15:30:00+02:00</td>")
at(">2020-01-02T03:04:05 <small class=\"note\">camera clock, zone unknown</small>")
assert re.search(r"<td class=\"time\">20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z</td>", html)
assert " UTC<" not in html
svg = html[at('<svg class="map'):]
svg = svg[:svg.index("</svg>")]
assert '<path class="land"' in svg and ">France</text>" in svg and "Natural Earth" in svg
m = re.search(r'<circle cx="([-0-9.]+)" cy="([-0-9.]+)"', svg)
assert m and abs(float(m.group(1)) - 2.2945) < 1e-4 and abs(float(m.group(2)) + 48.8584) < 1e-4, m
x, y, w, h = map(float, re.search(r'viewBox="([^"]+)"', svg).group(1).split())
assert x < 2.2945 < x + w and y < -48.8584 < y + h, (x, y, w, h)
PY

# --- with --thumbnails: image content only as blurred greyscale thumbnails, still valid HTML5;
# --json prints the report
expect 0 "$A" report --case C-9 --agency "Unit A" --db "$DB" --out "$T/rep-t" --thumbnails --json
schema report "$tmp/out" # --json prints the JSON report
/usr/bin/python3 - "$T/rep-t/report.html" <<'PY' || fail "report.html with thumbnails"
import re, sys
import html5lib
html = open(sys.argv[1], encoding="utf-8").read()
html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(html)
imgs = re.findall(r"<img [^>]*>", html)
assert imgs and all('class="thumb"' in i and 'src="data:image/jpeg;base64,' in i for i in imgs), imgs
assert "img.thumb{width:64px;height:64px;object-fit:cover;filter:blur(8px) grayscale(1)" in html
assert [u for u in re.findall(r"https?://[^\"' <]*", html) if u != "http://www.w3.org/2000/svg"] == []
PY

# --- the same from a PostgreSQL store named with a password: the report never shows it
if [ -n "${AD_TEST_PG:-}" ]; then
  pgdb=ad_report_$$
  psql "$AD_TEST_PG/postgres" -qc "CREATE DATABASE $pgdb" || fail "createdb"
  trap 'psql "$AD_TEST_PG/postgres" -qc "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1' EXIT
  PG=$(printf '%s' "$AD_TEST_PG" | sed 's|://\([^@/]*\)@|://\1:hunter2@|')/$pgdb
  case "$PG" in *hunter2@*) ;; *) fail "no user in $AD_TEST_PG to give a password";; esac
  expect 0 "$A" db init --db "$PG"
  expect 0 "$A" agency add "Unit A" --db "$PG"
  expect 0 "$A" ingest "$T/more" --case P-1 --agency "Unit A" --db "$PG" --report "$T/prep"
  grep -rq hunter2 "$T/prep" "$tmp/out" && fail "the report shows the store's password"
  /usr/bin/python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))["store"]; assert s == sys.argv[2], s' \
    "$T/prep/report.json" "$(printf '%s' "$PG" | sed 's|:hunter2@|@|')" || fail "PostgreSQL store named"
  schema report "$T/prep/report.json"
else
  echo "cli_report: AD_TEST_PG unset, PostgreSQL part skipped"
fi
echo "cli_report: ok"
