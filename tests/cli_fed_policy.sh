#!/bin/bash
# cli_fed_policy.sh: federation's policy per peer and vPDQ frames in media changes
# (docs/federation.md "Policy per peer", "vPDQ frames"), lean: two nations (a, b) and a hub, on
# SQLite, exchanging bundle files. A video known at a travels with its frames: after the
# exchange b's ingest classes a trimmed, re-encoded copy known, in a's series, by its frames.
set -u
tmp="$AD_TEST_TMP/cli_fed_policy"
rm -rf "$tmp" && mkdir -p "$tmp"
. "$AD_TEST_DATA/lib.sh"
A=$ARIADNE
export ARIADNE_FED_KEY=""
declare -A PUB
key() { echo "$tmp/$1.key"; }
X() { local n=$1; shift; "$A" "$@" --db "sqlite:$tmp/$n.db"; }
run() { local n=$1; shift; "$A" "$@" --db "sqlite:$tmp/$n.db" --fed-key "$(key "$n")"; }
for n in hub a b c; do
  expect 0 X $n db init
  expect 0 "$A" instance init --name $n --db "sqlite:$tmp/$n.db" --fed-key "$(key $n)"
  expect 0 X $n instance show --json
  PUB[$n]=$(jq -r .pubkey "$tmp/out")
done
# a, b and c trust each other directly (national peers)
for n in a b c; do
  for m in a b c; do [ $m = $n ] || expect 0 X $n peer add $m - --key "${PUB[$m]}"; done
done

# --- vPDQ frames travel with the media change
VD=$tmp/video && mkdir -p "$VD/known" "$VD/seized"
ffmpeg -v error -f lavfi -i "testsrc2=size=160x120:rate=10" -t 6 -pix_fmt yuv420p "$VD/known/k.mp4" || fail ffmpeg
ffmpeg -v error -ss 1 -i "$VD/known/k.mp4" -t 4 -c:v libx264 -pix_fmt yuv420p "$VD/seized/clip.mp4" || fail ffmpeg
expect 0 X a agency add Unit-A --country GB
expect 0 X a ingest "$VD/known" --case VREF --agency Unit-A --no-report -q
K=$(sha256sum "$VD/known/k.mp4" | cut -c1-64)
expect 0 X a series create S-video --owner Unit-A --contact v@unit-a.example
expect 0 X a series link S-video "$K"
expect 0 run a bundle export --peer b -o "$tmp/a-b.bundle" --json
expect 0 X b bundle import "$tmp/a-b.bundle"
frames_a=$(sqlite3 "$tmp/a.db" "SELECT COUNT(*) FROM media_frame")
frames_b=$(sqlite3 "$tmp/b.db" "SELECT COUNT(*) FROM media_frame")
[ "$frames_a" -gt 0 ] && [ "$frames_a" = "$frames_b" ] || fail "frames: a $frames_a, b $frames_b"
[ "$(sqlite3 "$tmp/a.db" "SELECT hex(pdq) FROM media_frame ORDER BY frame")" = \
  "$(sqlite3 "$tmp/b.db" "SELECT hex(pdq) FROM media_frame ORDER BY frame")" ] || fail "frames differ"
expect 0 X b agency add Unit-B --country DE
expect 0 X b ingest "$VD/seized" --case B-1 --agency Unit-B --report "$tmp/brep" -q
python3 - "$tmp/brep/report.json" <<'PY' || fail "the trimmed copy is not known at b by its frames"
import json, sys
f = json.load(open(sys.argv[1]))["files"][0]
assert f["class"].startswith("known") and f["match"]["by"] == "vpdq", f
PY
expect 0 X b media show "$(sha256sum "$VD/seized/clip.mp4" | cut -c1-64)"
has "S-video"
# a frame field that is not canonical or beyond the limit is refused (test_fed covers the bytes)
echo "frames: $frames_a, media change with frames: $(grep -o '"vpdq":"[^"]*"' "$tmp/a-b.bundle" | wc -c) bytes of vpdq field" >&2

echo "cli_fed_policy: ok"
