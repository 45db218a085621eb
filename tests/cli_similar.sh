#!/usr/bin/env bash
# cli_similar.sh: the second signal as a user meets it (docs/features.md): `ariadne similar` on
# crops, a tilt, a re-share and a bordered copy of known photos, the same scene (opencv-doc's
# aloe stereo pair, generated overlapping views), flat and text pictures that must not link;
# `similar --build` for media stored without features; ingest classing a copy as known and
# reporting a scene as a possible link.
set -uo pipefail
A=${ARIADNE:?}
tmp=${AD_TEST_TMP:-/tmp}/cli_similar
rm -rf "$tmp" && mkdir -p "$tmp/known" "$tmp/q" "$tmp/seizure"
. "$AD_TEST_DATA/lib.sh"
D=/usr/share/doc/opencv-doc/examples/data # Debian package opencv-doc (scripts/install-deps)
[ -f "$D/aloeL.jpg" ] || fail "opencv-doc is not installed (scripts/install-deps)"
IM=/usr/bin/convert
export ARIADNE_DB="sqlite:$tmp/a.db"

expect 0 "$A" similar --help
has "usage: ariadne similar"
expect 2 "$A" similar
expect 2 "$A" similar x --limit abc
expect 2 "$A" similar a b

# the known pictures: four photos and one side of each scene
for f in baboon fruits messi5 home; do cp "$D/$f.jpg" "$tmp/known/"; done
cp "$D/aloeL.jpg" "$tmp/known/"
# a generated pair that only the query's denser points link (docs/features.md "Denser query
# points"; tests/data/features/ORIGIN.md)
cp "$AD_TEST_DATA/data/features/butterfly-a.jpg" "$tmp/known/"
read -r w h < <(identify -format '%w %h' "$D/orange.jpg")
cw=$((w * 65 / 100))
$IM "$D/orange.jpg" -crop "${cw}x${h}+0+0" +repage "$tmp/known/orange-a.jpg"
$IM "$D/orange.jpg" -crop "${cw}x${h}+$((w - cw))+0" +repage -resize 80% -modulate 115 \
    -virtual-pixel black -distort Perspective \
    "0,0 12,8  $((cw * 8 / 10)),0 $((cw * 8 / 10 - 8)),0  0,$((h * 8 / 10)) 0,$((h * 8 / 10))  $((cw * 8 / 10)),$((h * 8 / 10)) $((cw * 8 / 10)),$((h * 8 / 10 - 20))" \
    "$tmp/q/orange-b.jpg"
expect 0 "$A" db init
expect 0 "$A" agency add Police
expect 0 "$A" ingest "$tmp/known" --case K1 --agency Police --quiet --no-report

# versions of the known photos: each must be found as a copy of its original
for f in baboon fruits messi5; do
    $IM "$D/$f.jpg" -gravity center -crop 96%x96%+0+0 +repage "$tmp/q/$f-crop2.jpg"
    $IM "$D/$f.jpg" -gravity center -crop 90%x90%+0+0 +repage "$tmp/q/$f-crop5.jpg"
    $IM "$D/$f.jpg" -gravity center -crop 80%x80%+0+0 +repage "$tmp/q/$f-crop10.jpg"
    $IM "$D/$f.jpg" -background black -rotate 3 -gravity center \
        -crop "$(identify -format '%wx%h' "$D/$f.jpg")+0+0" +repage "$tmp/q/$f-tilt3.jpg"
    $IM "$D/$f.jpg" -gravity center -crop 94%x94%+0+0 +repage -resize 1080x1080 -quality 75 \
        "$tmp/q/$f-reshare.jpg"
    $IM "$D/$f.jpg" -bordercolor black -border "0x$(( $(identify -format '%h' "$D/$f.jpg") / 10 ))" \
        "$tmp/q/$f-border.jpg"
    want=$(sha256sum "$D/$f.jpg" | cut -d' ' -f1)
    for v in crop2 crop5 crop10 tilt3 reshare border; do
        expect 0 "$A" similar "$tmp/q/$f-$v.jpg" --json
        cp "$tmp/out" "$tmp/$f-$v.json"
        schema similar "$tmp/$f-$v.json"
        python3 - "$tmp/$f-$v.json" "$want" "$v" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = d["results"]
assert r and r[0]["sha256"] == sys.argv[2] and r[0]["kind"] == "copy", (sys.argv[3], r)
how = r[0]["how"]
v = sys.argv[3]
if v.startswith("crop"): assert "crop" in how, (v, how)
if v == "tilt3": assert "tilt" in how and abs(abs(r[0]["rotation"]) - 3) < 1, (v, r[0])
if v == "border": assert "border" in how, (v, how)
assert all(o["kind"] == "copy" or o["sha256"] != sys.argv[2] for o in r[:1])
PY
        [ $? -eq 0 ] || fail "$f-$v: not found as a copy"
    done
done
# human output names the kind and the region
expect 0 "$A" similar "$tmp/q/baboon-crop10.jpg"
has "copy"
has "crop"

# the same scene: a possible link, never a copy
for q in "$D/aloeR.jpg" "$tmp/q/orange-b.jpg" "$AD_TEST_DATA/data/features/butterfly-b.jpg"; do
    expect 0 "$A" similar "$q" --json
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; assert r and r[0]["kind"]=="scene", r' "$tmp/out" ||
        fail "$q: not linked as the same scene"
done

# pictures that must not link: flat, gradient, noise, text, an unrelated photo
$IM -size 640x480 xc:'#808080' "$tmp/q/flat.png"
$IM -size 640x480 gradient:white-black "$tmp/q/gradient.png"
$IM -size 320x240 xc: +noise Random -colorspace gray "$tmp/q/noise.png"
$IM -font /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf -size 640x480 -background white \
    -fill black -pointsize 12 \
    caption:"$(tr -cs 'A-Za-z' ' ' < /usr/share/common-licenses/GPL-3 | head -c 1200)" "$tmp/q/text.png"
cp "$D/building.jpg" "$tmp/q/unrelated.jpg"
for q in flat.png gradient.png noise.png text.png unrelated.jpg; do
    expect 1 "$A" similar "$tmp/q/$q" --json
    python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["results"]==[]' "$tmp/out" ||
        fail "$q: linked to a known picture"
done

# by HASH: a stored media's own features (itself left out); none when it has none
sha=$(sha256sum "$D/messi5.jpg" | cut -d' ' -f1)
expect 1 "$A" similar "$sha" --json
expect 1 "$A" similar 0000000000000000000000000000000000000000000000000000000000000001

# a store made without features gets them with --build
export ARIADNE_DB="sqlite:$tmp/b.db"
expect 0 "$A" db init
expect 0 "$A" agency add Police
expect 0 "$A" ingest "$tmp/known" --case K1 --agency Police --quiet --no-report --no-features
expect 1 "$A" similar "$tmp/q/baboon-crop5.jpg" --json
has '"indexed":0'
expect 0 "$A" similar --build "$tmp/known" "$tmp/q/flat.png" --json
schema similar "$tmp/out"
has '"added":7'
has '"unknown":1'
expect 0 "$A" similar --build "$tmp/known" --json
has '"had":7'
expect 0 "$A" similar "$tmp/q/baboon-crop5.jpg" --json
expect 1 "$A" similar "$sha" --json # messi5 itself is left out: nothing else shares content
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["results"]==[] and d["indexed"]==7' "$tmp/out" ||
    fail "a media by HASH"
expect 1 "$A" similar "$tmp/no such file.jpg"
says "no such file"

# triage: a copy is classed as its known picture is, a scene is only a possible link (a bordered
# copy is found before features now, by the trimmed PDQ: cli_robust)
export ARIADNE_DB="sqlite:$tmp/a.db"
cp "$tmp/q/baboon-crop10.jpg" "$tmp/q/messi5-tilt3.jpg" "$tmp/q/fruits-reshare.jpg" "$tmp/seizure/"
cp "$D/aloeR.jpg" "$tmp/q/text.png" "$AD_TEST_DATA/data/features/butterfly-b.jpg" "$tmp/seizure/"
expect 0 "$A" ingest "$tmp/seizure" --case S1 --agency Police --quiet --report "$tmp/rep"
python3 - "$tmp/rep/report.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = d["counts"]
assert c["known-unseriesed"] == 3 and c["new"] == 3, c
files = {f["path"].rsplit("/", 1)[1]: f for f in d["files"]}
for n in ("baboon-crop10.jpg", "messi5-tilt3.jpg", "fruits-reshare.jpg"):
    assert files[n]["class"] == "known-unseriesed" and files[n]["match"]["by"] == "feature", files[n]
a = files["aloeR.jpg"]
assert a["class"] == "new", a
links = a.get("possible_links") or []
assert links and links[0]["kind"] == "scene", a
b = files["butterfly-b.jpg"]
links = b.get("possible_links") or []
assert b["class"] == "new" and links and links[0]["kind"] == "scene", b
assert not files["text.png"].get("possible_links"), files["text.png"]
PY
[ $? -eq 0 ] || fail "triage with features"
schema report "$tmp/rep/report.json"
grep -q "possible link" "$tmp/rep/report.html" || fail "the HTML report shows no possible link"
echo "cli_similar: ok"
