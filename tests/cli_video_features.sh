#!/usr/bin/env bash
# cli_video_features.sh: videos' keyframes (docs/features.md "Videos"): a known video made with
# ffmpeg from an ordinary photo (a slow pan and zoom); its copies cropped 2/5/10% from every
# side, tilted 3 degrees, re-shared (cropped, fitted into a square, re-encoded), cropped and
# played 1.25x faster, and a frame of a cropped copy as a picture are classed known by ingest
# (match 'feature') and found by `ariadne similar`; an unrelated video and a flat one are not.
set -uo pipefail
A=${ARIADNE:?}
tmp=${AD_TEST_TMP:-/tmp}/cli_video_features
rm -rf "$tmp" && mkdir -p "$tmp/known" "$tmp/seizure"
. "$AD_TEST_DATA/lib.sh"
S=$AD_TEST_DATA/../samples/known
export ARIADNE_DB="sqlite:$tmp/a.db"
vid() { ffmpeg -nostdin -loglevel error -y "$@" || fail "ffmpeg $*"; }
# 4 s at 10 frames a second, 480x270: a slow pan and zoom over a photo
pan() {
    vid -loop 1 -i "$1" -t 4 -vf "scale=960:540:force_original_aspect_ratio=increase,crop=960:540,zoompan=z='1+0.004*on':x='iw/2-(iw/zoom/2)+on*2':y='ih/2-(ih/zoom/2)':d=1:s=480x270:fps=10,format=yuv420p" \
        -c:v libx264 -crf 23 "$2"
}
pan "$S/bridge.jpg" "$tmp/known/bridge.mp4"
cp "$S/pen-and-coaster.jpg" "$tmp/known/"
pan "$S/street-2821.jpg" "$tmp/seizure/unrelated.mp4"
vid -f lavfi -i "color=c=gray:size=320x240:rate=10" -t 2 -c:v libx264 "$tmp/seizure/flat.mp4"
q() { vid -i "$tmp/known/bridge.mp4" -vf "$2" -an -c:v libx264 -crf "${3:-23}" "$tmp/seizure/$1.mp4"; }
q crop2 "crop=trunc(iw*0.96/2)*2:trunc(ih*0.96/2)*2"
q crop5 "crop=trunc(iw*0.90/2)*2:trunc(ih*0.90/2)*2"
q crop10 "crop=trunc(iw*0.80/2)*2:trunc(ih*0.80/2)*2"
q tilt3 "rotate=3*PI/180"
q reshare "crop=trunc(iw*0.94/2)*2:trunc(ih*0.94/2)*2,scale=360:360:force_original_aspect_ratio=decrease,pad=360:360:(ow-iw)/2:(oh-ih)/2" 30
q crop5-speed125 "crop=trunc(iw*0.90/2)*2:trunc(ih*0.90/2)*2,setpts=PTS/1.25"
vid -ss 2 -i "$tmp/seizure/crop10.mp4" -frames:v 1 "$tmp/seizure/frame-crop10.jpg"

expect 0 "$A" db init
expect 0 "$A" agency add Police
expect 0 "$A" ingest "$tmp/known" --case K1 --agency Police --quiet --no-report

# similar: a video file is searched by its keyframes
expect 0 "$A" similar "$tmp/seizure/crop10.mp4" --json
schema similar "$tmp/out"
want=$(sha256sum "$tmp/known/bridge.mp4" | cut -d' ' -f1)
python3 - "$tmp/out" "$want" <<'PY' || fail "similar on a cropped video"
import json, sys
d = json.load(open(sys.argv[1]))
r = d["results"][0]
assert d["query_keyframes"] >= 1 and r["sha256"] == sys.argv[2] and r["kind"] == "copy", d
assert "crop" in r["how"] and r["keyframes"]["copies"] >= min(2, d["query_keyframes"]), r
assert "known_frame" in r and "query_time" in r, r
PY
expect 0 "$A" similar "$tmp/seizure/frame-crop10.jpg" --json # a picture finds the video
schema similar "$tmp/out"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; assert r["sha256"]==sys.argv[2] and r["kind"]=="copy" and "known_frame" in r, r' \
    "$tmp/out" "$want" || fail "a frame of a cropped copy"
expect 1 "$A" similar "$tmp/seizure/unrelated.mp4" --json
has '"results":\[\]'
expect 1 "$A" similar "$tmp/seizure/flat.mp4"
says "enough texture"
expect 1 "$A" similar "$want" # the video itself is left out: nothing else shares content
has "nothing known shares content"
head -c 3000 "$tmp/known/bridge.mp4" >"$tmp/cut.mp4"
expect 1 "$A" similar "$tmp/cut.mp4"

# triage: the copies are known by their keyframes, the unrelated and flat videos stay new
expect 0 "$A" ingest "$tmp/seizure" --case S1 --agency Police --quiet --report "$tmp/rep"
schema report "$tmp/rep/report.json"
python3 - "$tmp/rep/report.json" <<'PY' || fail "triage of videos by their keyframes"
import json, sys
d = json.load(open(sys.argv[1]))
files = {f["path"].rsplit("/", 1)[1]: f for f in d["files"]}
for n in ("crop2", "crop5", "crop10", "tilt3", "reshare", "crop5-speed125"):
    f = files[n + ".mp4"]
    assert f["class"] == "known-unseriesed" and f["match"]["by"] == "feature", (n, f)
f = files["frame-crop10.jpg"]
assert f["class"] == "known-unseriesed" and f["match"]["by"] == "feature", f
for n in ("unrelated.mp4", "flat.mp4"):
    assert files[n]["class"] == "new" and not files[n].get("possible_links"), files[n]
PY
# the known video's keyframes: at most 8, each at most 2,008 bytes
n=$(sqlite3 "$tmp/a.db" "SELECT count(*) FROM media_keyframe k JOIN media m ON m.id = k.media_id WHERE lower(hex(m.sha256)) = '$want'")
big=$(sqlite3 "$tmp/a.db" "SELECT count(*) FROM media_keyframe WHERE length(data) > 2008 OR k >= 8")
[ "$n" -ge 1 ] && [ "$n" -le 8 ] && [ "$big" = 0 ] || fail "keyframes stored: $n, over the budget: $big"
# --no-features: no keyframes, the crops stay new
export ARIADNE_DB="sqlite:$tmp/b.db"
expect 0 "$A" db init
expect 0 "$A" agency add Police
expect 0 "$A" ingest "$tmp/known" --case K1 --agency Police --quiet --no-report --no-features
expect 0 "$A" ingest "$tmp/seizure" --case S1 --agency Police --quiet --no-features --report "$tmp/rep2"
python3 -c 'import json,sys; f={x["path"].rsplit("/",1)[1]:x for x in json.load(open(sys.argv[1]))["files"]}; assert f["crop10.mp4"]["class"]=="new", f["crop10.mp4"]' \
    "$tmp/rep2/report.json" || fail "--no-features"
# similar --build gives the stored video its keyframes from its file
expect 1 "$A" similar "$tmp/seizure/crop10.mp4" --json
has '"indexed":0'
expect 0 "$A" similar --build "$tmp/known" --json
schema similar "$tmp/out"
has '"added":2'
expect 0 "$A" similar --build "$tmp/known" --json
has '"had":2'
expect 0 "$A" similar "$tmp/seizure/crop10.mp4"
has "$want"
# PostgreSQL: keyframes stored and searched the same way
if [ -n "${AD_TEST_PG:-}" ]; then
    pgdb=ad_vfeat_$$
    psql "$AD_TEST_PG/postgres" -qc "CREATE DATABASE $pgdb" || fail "createdb"
    trap 'psql "$AD_TEST_PG/postgres" -qc "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1' EXIT
    export ARIADNE_DB=$AD_TEST_PG/$pgdb
    expect 0 "$A" db init
    expect 0 "$A" agency add Police
    expect 0 "$A" ingest "$tmp/known" --case K1 --agency Police --quiet --no-report
    expect 0 "$A" similar "$tmp/seizure/tilt3.mp4" --json
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; assert r["sha256"]==sys.argv[2] and r["kind"]=="copy", r' \
        "$tmp/out" "$want" || fail "PostgreSQL: similar on a tilted video"
    expect 0 "$A" similar "$tmp/seizure/frame-crop10.jpg"
    has "$want"
else
    echo "cli_video_features: AD_TEST_PG unset, PostgreSQL part skipped"
fi
echo "cli_video_features: ok"
