#!/usr/bin/env bash
# cli_robust.sh: triage finds copies with borders and truly turned copies of known pictures
# through the trimmed and area PDQs kept beside the plain PDQ (issue 13, docs/hash.md "Borders
# and turns"): letterbox, pillarbox, frame, padding on the seized side; a letterboxed known
# picture found from its plain copy; rotations and mirrors; a sheet of tiny digits padded to a
# square and framed (its trimmed PDQ is the area PDQ of the content, as the known's area PDQ:
# 2-6 bits apart; the reference's downsampling of the content gave 40-54 bits, since stop 22).
# Unrelated pictures, a dark photo and flat images stay new. The plain PDQ stays what it was.
set -u
A=${ARIADNE:?}
V=$AD_TEST_DATA/vectors/pdq
D=/usr/share/doc/opencv-doc/examples/data # Debian package opencv-doc (scripts/install-deps)
T=$AD_TEST_TMP/cli_robust
rm -rf "$T" && mkdir -p "$T/known" "$T/seizure"
unset ARIADNE_DB ARIADNE_USER
export ARIADNE_DB="sqlite:$T/db.sqlite"
C=/usr/bin/convert
. "$AD_TEST_DATA/lib.sh"
ok() { "$@" >"$T/out" 2>"$T/err" || { cat "$T/out" "$T/err" >&2; fail "$*"; }; }

# --- known: three photos (small, for speed) and a letterboxed one
$C "$V/data/bridge-mods/aaa-orig.jpg" -resize 480x "$T/known/bridge.jpg"
$C "$V/data/reg-test-input/pen-and-coaster.png" -resize 400x "$T/known/pen.jpg"
cp "$V/data/reg-test-input/labelme-subset/q0291.jpg" "$T/known/street.jpg"
$C "$V/data/reg-test-input/labelme-subset/q1050.jpg" -background black -gravity center \
   -extent 256x320 "$T/known/boxed.jpg"
[ -f "$D/digits.png" ] || fail "opencv-doc is not installed (scripts/install-deps)"
$C "$D/digits.png" -resize '1600x1600>' -strip -quality 92 "$T/known/digits.jpg" # as the corpus
ok "$A" db init
ok "$A" agency add "Hub" --kind hub
ok "$A" ingest "$T/known" --case REF --agency Hub --no-report

# --- the seizure
S=$T/seizure
for k in bridge pen street; do
  read -r W H < <(identify -format '%w %h\n' "$T/known/$k.jpg")
  $C "$T/known/$k.jpg" -background black -gravity center -extent "${W}x$((H * 12 / 10))" "$S/$k-bars.jpg"
  $C "$T/known/$k.jpg" -background black -gravity center -extent "$((W * 12 / 10))x${H}" "$S/$k-pillar.jpg"
  $C "$T/known/$k.jpg" -bordercolor white -border "$((W * 6 / 100))" "$S/$k-frame.jpg"
  $C "$T/known/$k.jpg" -rotate 90 "$S/$k-rot90.jpg"
  $C "$T/known/$k.jpg" -rotate 180 "$S/$k-rot180.jpg"
  $C "$T/known/$k.jpg" -flop "$S/$k-mirror.jpg"
done
# the digits sheet (black background, 1600x800) padded to a square on dark grey, and framed
$C "$T/known/digits.jpg" -background '#303030' -gravity center -extent 1600x1600 -quality 90 \
   "$S/digits-pad.jpg"
$C "$T/known/digits.jpg" -bordercolor white -border 96 -quality 90 "$S/digits-frame.jpg"
$C "$V/data/reg-test-input/labelme-subset/q1050.jpg" -quality 85 "$S/unboxed.jpg"   # known's trim
$C -size 400x300 plasma:'#000000-#202020' -seed 7 "$S/dark.jpg"                   # new
$C -size 400x300 xc:'#808080' -bordercolor black -border 30 "$S/flat-framed.png"    # new
$C -size 400x300 gradient:navy-skyblue "$S/sky.png"                                 # new
$C -seed 3 -size 320x240 plasma:fractal -bordercolor black -border 24 "$S/other-framed.jpg" # new
ok "$A" ingest "$S" --case C-1 --agency Hub --report "$T/rep"
python3 - "$T/rep/report.json" <<'PY' || fail "classes"
import json, sys
by = {f["path"].rsplit("/", 1)[-1]: f for f in json.load(open(sys.argv[1]))["files"]}
bad = []
for k in ("bridge", "pen", "street"):
    for v in ("bars", "pillar", "frame", "rot90", "rot180", "mirror"):
        f = by[f"{k}-{v}.jpg"]
        if f["class"] != "known-unseriesed" or f["match"]["by"] != "pdq":
            bad.append((f"{k}-{v}", f["class"]))
for n in ("digits-pad.jpg", "digits-frame.jpg"):
    f = by[n]
    if f["class"] != "known-unseriesed" or f["match"]["by"] != "pdq":
        bad.append((n, f["class"], f.get("match")))
f = by["unboxed.jpg"]
if f["class"] != "known-unseriesed":
    bad.append(("unboxed: the known picture's trimmed PDQ", f["class"]))
for n in ("dark.jpg", "flat-framed.png", "sky.png", "other-framed.jpg"):
    if by[n]["class"] != "new":
        bad.append((n, by[n]["class"]))
assert not bad, bad
PY

# --- the store: the plain PDQ is the reference's; the extra hashes beside it
python3 - "$T/db.sqlite" <<'PY' || fail "stored hashes"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
kinds = dict(c.execute("SELECT kind, COUNT(*) FROM media_hash GROUP BY kind").fetchall())
assert kinds.get("area", 0) >= 20 and kinds.get("trim", 0) >= 10, kinds
# the letterboxed known picture has its trimmed PDQ, with the content inside its bars
row = c.execute("SELECT h.cx, h.cy, h.cw, h.ch FROM media_hash h JOIN media m ON m.id = h.media_id"
                " WHERE h.kind = 'trim' AND m.height = 320 AND m.width = 256").fetchone()
assert row and row[0] == 0 and 28 <= row[1] <= 36 and row[2] == 256 and 248 <= row[3] <= 264, row
# a dark photo and a sky are not trimmed
for w, h in ((400, 300),):
    n = c.execute("SELECT COUNT(*) FROM media_hash h JOIN media m ON m.id = h.media_id"
                  " WHERE h.kind = 'trim' AND m.width = ? AND m.height = ?", (w, h)).fetchone()[0]
    assert n == 0, n
PY
# the plain PDQ of a bordered file is still the reference's (what partners exchange)
"$A" hash --csv "$S/bridge-bars.jpg" > "$T/hash.csv" || fail "hash"
python3 - "$T/db.sqlite" "$T/hash.csv" <<'PY' || fail "plain PDQ unchanged"
import csv, sqlite3, sys
rows = list(csv.DictReader(open(sys.argv[2])))
pdq = [v for k, v in rows[0].items() if k.lower() == "pdq"][0]
c = sqlite3.connect(sys.argv[1])
assert c.execute("SELECT COUNT(*) FROM media WHERE lower(hex(pdq)) = ?", (pdq.lower(),)).fetchone()[0] == 1
PY
# --- video: a known clip with bars added (one crop over all frames), and played 1.25x faster
VD=$T/video && mkdir -p "$VD/known" "$VD/seized"
ffmpeg -v error -f lavfi -i "testsrc2=size=320x180:rate=10" -t 8 -pix_fmt yuv420p "$VD/known/k.mp4" || fail ffmpeg
ffmpeg -v error -i "$VD/known/k.mp4" -vf "pad=320:240:0:30:black" -pix_fmt yuv420p "$VD/seized/bars.mp4" || fail ffmpeg
ffmpeg -v error -i "$VD/known/k.mp4" -vf "pad=400:180:40:0:black" -pix_fmt yuv420p "$VD/seized/pillar.mp4" || fail ffmpeg
ffmpeg -v error -i "$VD/known/k.mp4" -vf "setpts=PTS/1.25" -pix_fmt yuv420p "$VD/seized/fast.mp4" || fail ffmpeg
ffmpeg -v error -f lavfi -i "mandelbrot=size=320x180:rate=10" -t 6 -vf "pad=320:240:0:30:black" \
  -pix_fmt yuv420p "$VD/seized/other-bars.mp4" || fail ffmpeg
ok "$A" ingest "$VD/known" --case VREF --agency Hub --no-report
ok "$A" ingest "$VD/seized" --case V-1 --agency Hub --report "$T/vrep"
python3 - "$T/vrep/report.json" <<'PY' || fail "video classes"
import json, sys
by = {f["path"].rsplit("/", 1)[-1]: f for f in json.load(open(sys.argv[1]))["files"]}
for n in ("bars.mp4", "pillar.mp4", "fast.mp4"):
    f = by[n]
    assert f["class"] == "known-unseriesed" and f["match"]["by"] == "vpdq", (n, f)
assert by["other-bars.mp4"]["class"] == "new", by["other-bars.mp4"]
PY
# the bordered videos' frames keep their trimmed PDQs, with the crop found
python3 - "$T/db.sqlite" <<'PY' || fail "video trimmed frames"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
rows = c.execute("SELECT m.width, m.height, h.cx, h.cy, h.cw, h.ch, COUNT(*) FROM media_hash h"
                 " JOIN media m ON m.id = h.media_id WHERE h.frame >= 0 GROUP BY m.id").fetchall()
crops = {(w, h): (x, y, cw, ch) for w, h, x, y, cw, ch, n in rows}
assert crops.get((320, 240)) == (0, 30, 320, 180), crops
assert crops.get((400, 180)) == (40, 0, 320, 180), crops
PY
echo "cli_robust: ok"
