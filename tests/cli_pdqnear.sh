#!/usr/bin/env bash
# cli_pdqnear.sh: the PDQ-guided check in triage (docs/features.md "The PDQ-guided check"): copies
# of known pictures whose PDQ moved just past the radius (32-60 bits) and whose local features
# are too few for the copy rule alone are classed known when the features agree at the placement
# the near PDQ implies: a large semi-transparent watermark across a photo, a blurred page of text
# and a plain orange; a perfect checkerboard's
# padded, halved and quartered copies (two repeated patterns: evidence at the placements the
# frames imply only, with the guided matches on many of the known's points; refused in stop 21,
# found since stop 22). Each was `new` before. A watermarked unrelated photo and a checkerboard
# of another size and period stay new. The evidence says PDQ-guided, with the distance;
# `ariadne similar FILE` finds the same. (A white frame around a sheet of tiny digits was found
# here until its trimmed PDQ became the content's area PDQ in stop 22: PDQ finds it first now,
# 6 bits away; cli_robust.)
set -u
A=${ARIADNE:?}
V=$AD_TEST_DATA/vectors/pdq/data/reg-test-input
D=/usr/share/doc/opencv-doc/examples/data # Debian package opencv-doc (scripts/install-deps)
T=$AD_TEST_TMP/cli_pdqnear
rm -rf "$T" && mkdir -p "$T/known" "$T/seizure"
unset ARIADNE_DB ARIADNE_USER
export ARIADNE_DB="sqlite:$T/db.sqlite"
C=/usr/bin/convert
. "$AD_TEST_DATA/lib.sh"
[ -f "$D/digits.png" ] || fail "opencv-doc is not installed (scripts/install-deps)"
ok() { "$@" >"$T/out" 2>"$T/err" || { cat "$T/out" "$T/err" >&2; fail "$*"; }; }

# --- known: as scripts/make-robust-corpus makes its originals
K=$T/known
for f in "$V/pen-and-coaster.png" "$D/text_defocus.jpg" "$D/orange.jpg" "$D/digits.png" \
         "$D/chessboard.png"; do
  b=$(basename "$f"); $C "$f[0]" -resize '1600x1600>' -strip -quality 92 "$K/${b%.*}.jpg"
done
ok "$A" db init
ok "$A" agency add "Hub" --kind hub
ok "$A" ingest "$K" --case REF --agency Hub --no-report

# --- the seizure: the corpus's watermark, frame, halving and quartering
S=$T/seizure
mark() { # in out: the corpus's watermark
  local W; W=$(identify -format '%w' "$1")
  $C "$1" -gravity center -font DejaVu-Sans-Bold -pointsize $((W / 9 + 8)) \
     -fill 'rgba(255,255,255,0.45)' -stroke 'rgba(0,0,0,0.3)' -annotate +0+0 'SAMPLE COPY' \
     -quality 90 "$2"
}
for k in pen-and-coaster text_defocus orange; do mark "$K/$k.jpg" "$S/$k-mark.jpg"; done
W=$(identify -format '%w' "$K/digits.jpg")
$C "$K/digits.jpg" -bordercolor white -border "$((W * 6 / 100))" -quality 90 "$S/digits-frame.jpg"
for k in chessboard; do # padded to a square on dark grey
  read -r W H < <(identify -format '%w %h\n' "$K/$k.jpg"); s=$((W > H ? W : H))
  $C "$K/$k.jpg" -background '#303030' -gravity center -extent "${s}x${s}" -quality 90 "$S/$k-pad.jpg"
done
$C "$K/chessboard.jpg" -resize 50% -quality 90 "$S/chessboard-half.jpg"
$C "$K/chessboard.jpg" -resize 25% -quality 90 "$S/chessboard-quarter.jpg"
# unrelated: another photo watermarked, a checkerboard of another size and period
$C "$V/labelme-subset/q0291.jpg" -resize 600x "$T/other.jpg" && mark "$T/other.jpg" "$S/other-mark.jpg"
$C -size 80x60 pattern:checkerboard -scale 800% "$S/checker.png"
# ariadne similar FILE runs the check too when its features found no copy (before the seizure
# is ingested: its own media would be found)
ok "$A" similar "$S/pen-and-coaster-mark.jpg" --json
python3 - "$T/out" <<'PY' || fail "similar"
import json, sys
r = json.load(open(sys.argv[1]))["results"]
assert r and r[0]["kind"] == "copy" and "PDQ-guided" in r[0]["how"], r
PY
schema similar "$T/out"
"$A" similar "$S/other-mark.jpg" >"$T/out" 2>&1 && fail "similar: an unrelated picture found something"
ok "$A" ingest "$S" --case C-1 --agency Hub --report "$T/rep"
python3 - "$T/rep/report.json" "$T/db.sqlite" <<'PY' || fail "classes"
import json, sqlite3, sys
by = {f["path"].rsplit("/", 1)[-1]: f for f in json.load(open(sys.argv[1]))["files"]}
db = sqlite3.connect(sys.argv[2])
how = {bytes(sha).hex(): h for sha, h in db.execute(
    "SELECT d.sha256, m.how FROM feature_match m JOIN media d ON d.id = m.media_id "
    "WHERE m.kind = 'copy'")}
bad = []
for n in ("pen-and-coaster-mark.jpg", "text_defocus-mark.jpg", "orange-mark.jpg",
          "chessboard-pad.jpg", "chessboard-half.jpg", "chessboard-quarter.jpg"):
    f = by[n]
    if f["class"] != "known-unseriesed" or f["match"]["by"] != "feature":
        bad.append((n, f["class"], f.get("match")))
    elif "PDQ-guided" not in how.get(f["sha256"], ""):
        bad.append((n, "evidence", how.get(f["sha256"])))
if by["digits-frame.jpg"]["class"] != "known-unseriesed":
    bad.append(("digits-frame.jpg", by["digits-frame.jpg"]["class"]))
for n in ("other-mark.jpg", "checker.png"):
    if by[n]["class"] != "new":
        bad.append((n, by[n]["class"]))
assert not bad, bad
PY
echo "cli_pdqnear: ok"
