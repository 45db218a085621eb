#!/usr/bin/env bash
# cli_thumbs.sh: thumbnails come from the bytes that were hashed (issue 11 item 5). `ingest
# --thumbnails` keeps them in the database; `report --thumbnails` takes them from there and never
# opens a seized file again: a picture replaced on disk after ingest does not put another
# picture beside the recorded hash, and a FIFO in its place does not hang the report. A video
# gets the thumbnail of a frame (made by default: an ingest without --thumbnails); files without
# a thumbnail say why (an ingest with --no-thumbnails; an exact copy of a media known by its
# hashes only, which ingest does not decode).
set -u
A=${ARIADNE:?}
T=$AD_TEST_TMP/cli_thumbs
rm -rf "$T" && mkdir -p "$T/seized" "$T/video" "$T/plain" "$T/copy"
unset ARIADNE_DB ARIADNE_USER
tmp=$T
. "$AD_TEST_DATA/lib.sh"
cd "$T" || fail cd
DB="sqlite:$T/case.db"

# red_blue FILE: "R B", the mean red and blue (0-255) of a picture
red_blue() { /usr/bin/convert "$1" -resize '1x1!' -format '%[fx:int(255*r)] %[fx:int(255*b)]' info:; }
# thumb_of REPORT NAME OUT: writes the JPEG of the thumbnail shown beside file NAME to OUT
thumb_of() {
  /usr/bin/python3 - "$1" "$2" "$3" <<'PY' || fail "no thumbnail of $2 in $1"
import base64, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'src="data:image/jpeg;base64,([A-Za-z0-9+/=]+)">[^<]*' + re.escape(sys.argv[2]), html)
if not m:
    sys.exit(1)
open(sys.argv[3], "wb").write(base64.b64decode(m.group(1)))
PY
}

/usr/bin/convert -size 320x200 -seed 1 plasma:red-maroon "$T/seized/pic.jpg" || fail convert
/usr/bin/convert -size 320x200 -seed 2 plasma:blue-navy "$T/blue.jpg" || fail convert
cp "$T/seized/pic.jpg" "$T/original.jpg"
expect 0 "$A" db init --db "$DB"
expect 0 "$A" agency add Unit --db "$DB"
expect 0 "$A" ingest "$T/seized" --case C1 --agency Unit --db "$DB" --report "$T/rep0" --thumbnails
thumb_of "$T/rep0/report.html" pic.jpg "$T/t0.jpg"
read -r r b <<<"$(red_blue "$T/t0.jpg")"
[ "$r" -gt 100 ] && [ "$b" -lt 60 ] || fail "the thumbnail is not the red picture ($r $b)"
identify -format '%w %h' "$T/t0.jpg" | grep -qx '160 100' || fail "thumbnail size $(identify -format '%w %h' "$T/t0.jpg")"
grep -q "blur(8px) grayscale(1)" "$T/rep0/report.html" || fail "thumbnails must be blurred and greyscale"

# the file is replaced by another picture: the report still shows the one that was hashed
cp "$T/blue.jpg" "$T/seized/pic.jpg"
expect 0 "$A" report --case C1 --agency Unit --db "$DB" --out "$T/rep1" --thumbnails
thumb_of "$T/rep1/report.html" pic.jpg "$T/t1.jpg"
cmp -s "$T/t0.jpg" "$T/t1.jpg" || fail "the thumbnail changed with the file on disk"
read -r r b <<<"$(red_blue "$T/t1.jpg")"
[ "$r" -gt 100 ] && [ "$b" -lt 60 ] || fail "the replaced picture's thumbnail is shown ($r $b)"

# a FIFO in its place: the report finishes (before, it waited for a writer forever)
rm "$T/seized/pic.jpg" && mkfifo "$T/seized/pic.jpg"
expect 0 timeout 20 "$A" report --case C1 --agency Unit --db "$DB" --out "$T/rep2" --thumbnails
thumb_of "$T/rep2/report.html" pic.jpg "$T/t2.jpg"
cmp -s "$T/t0.jpg" "$T/t2.jpg" || fail "the thumbnail changed with a FIFO on disk"
rm "$T/seized/pic.jpg"

# a video: the thumbnail of a frame of the decode that hashed it
ffmpeg -loglevel error -f lavfi -i testsrc=size=128x96:rate=10:duration=2 -pix_fmt yuv420p \
  "$T/video/clip.mp4" || fail ffmpeg
# thumbnails are made by default: this ingest does not ask, the report does
expect 0 "$A" ingest "$T/video" --case C2 --agency Unit --db "$DB" --no-report
expect 0 "$A" report --case C2 --agency Unit --db "$DB" --out "$T/rep3" --thumbnails
thumb_of "$T/rep3/report.html" clip.mp4 "$T/t3.jpg"
identify -format '%w %h' "$T/t3.jpg" | grep -qx '128 96' || fail "video thumbnail size"

# ingested with --no-thumbnails: none is stored, and the report says why
/usr/bin/convert -size 100x100 -seed 3 plasma:green-white "$T/plain/green.jpg"
expect 0 "$A" ingest "$T/plain" --case C3 --agency Unit --db "$DB" --no-report --no-thumbnails
expect 0 "$A" report --case C3 --agency Unit --db "$DB" --out "$T/rep4" --thumbnails
grep -q "<img" "$T/rep4/report.html" && fail "a thumbnail with ingest --no-thumbnails"
grep -q "no thumbnail: ingested with --no-thumbnails" "$T/rep4/report.html" || fail "no note why"
expect 2 "$A" ingest "$T/plain" --case C4 --agency Unit --db "$DB" --thumbnails --no-thumbnails
grep -q "thumbnails were asked for, but the database holds none" "$T/rep4/report.html" ||
  fail "no summary note"

# a media imported by its hashes only: an exact copy is not decoded, gets no thumbnail, and the
# report says so
expect 0 "$A" export --format vics --all -o "$T/all.json" --db "$DB"
DB2="sqlite:$T/other.db"
expect 0 "$A" db init --db "$DB2"
expect 0 "$A" agency add Unit --db "$DB2"
expect 0 "$A" import "$T/all.json" --db "$DB2"
cp "$T/original.jpg" "$T/copy/again.jpg"
expect 0 "$A" ingest "$T/copy" --case C9 --agency Unit --db "$DB2" --report "$T/rep5" --thumbnails
grep -q "<img" "$T/rep5/report.html" && fail "a thumbnail of a file that was not decoded"
grep -q "no thumbnail: an exact copy of known media" "$T/rep5/report.html" || fail "no note why"
expect 0 "$A" audit verify --db "$DB"

# PostgreSQL: two ingests of the same picture at once (one thumbnail per media and agency, the
# writers merge), and the report takes it from there
if [ -n "${AD_TEST_PG:-}" ]; then
  pgdb=ad_thumbs_$$
  psql "$AD_TEST_PG/postgres" -qc "CREATE DATABASE $pgdb" || fail "createdb"
  trap 'psql "$AD_TEST_PG/postgres" -qc "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1' EXIT
  PG=$AD_TEST_PG/$pgdb
  expect 0 "$A" db init --db "$PG"
  expect 0 "$A" agency add Unit --db "$PG"
  mkdir -p "$T/pa" "$T/pb" && cp "$T/original.jpg" "$T/pa/a.jpg" && cp "$T/original.jpg" "$T/pb/b.jpg"
  "$A" ingest "$T/pa" --case P1 --agency Unit --db "$PG" --thumbnails --no-report >"$T/pa.out" 2>&1 &
  "$A" ingest "$T/pb" --case P2 --agency Unit --db "$PG" --thumbnails --no-report >"$T/pb.out" 2>&1 &
  wait %1 || { cat "$T/pa.out"; fail "ingest P1"; }
  wait %2 || { cat "$T/pb.out"; fail "ingest P2"; }
  [ "$(psql "$PG" -Atc 'SELECT count(*) FROM media_thumb')" = 1 ] || fail "one thumbnail per media"
  expect 0 "$A" report --case P2 --agency Unit --db "$PG" --out "$T/prep" --thumbnails
  thumb_of "$T/prep/report.html" b.jpg "$T/tp.jpg"
  cmp -s "$T/t0.jpg" "$T/tp.jpg" || fail "PostgreSQL: not the thumbnail of the bytes hashed"
  expect 0 "$A" audit verify --db "$PG"
else
  echo "cli_thumbs: AD_TEST_PG unset, PostgreSQL part skipped"
fi
echo "cli_thumbs: ok"
