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

# --- policy per peer: b is sent no notes, c is; c refuses votes from a; a hub relays by policy
expect 0 X a peer set b --no note --no clue
has "send media,series,link,person,vote"
expect 0 X a peer list --json
schema peer-list "$tmp/out" --lines
[ "$(jq -c 'select(.name == "b") | [.send, (.accept | length)]' "$tmp/out")" = \
  '[["media","series","link","person","vote","merge","unlink"],9]' ] || fail "peer list shows b's policy"
expect 0 X a peer list
grep -q $'^b\t.*\tsend=media,series,link,person,vote,merge,unlink\taccept=all$' "$tmp/out" || { cat "$tmp/out"; fail "peer list text"; }
expect 2 X a peer set b --no custody
says "never shared"
expect 2 X a peer set b --no note --only media
expect 1 X a peer set nobody --no note
expect 0 X c peer set a --refuse vote --json
schema peer-set "$tmp/out"
[ "$(jq -c .accept "$tmp/out")" = '["media","series","link","person","note","clue","merge","unlink"]' ] || fail "peer set --json"
expect 0 X a note add media "$K" "forum words"
expect 0 X a vote "$K" vics-us 1
expect 0 run a bundle export --peer b -o "$tmp/a-b2.bundle" --json
schema bundle-export "$tmp/out"
[ "$(jq .withheld "$tmp/out")" -ge 1 ] || fail "the export counts what it withheld"
! grep -q "forum words" "$tmp/a-b2.bundle" || fail "a note went to b"
expect 0 X b bundle import "$tmp/a-b2.bundle" --json
schema bundle-import "$tmp/out"
[ "$(jq .withheld "$tmp/out")" -ge 1 ] || fail "b counts what was withheld"
[ "$(sqlite3 "$tmp/b.db" "SELECT COUNT(*) FROM note")" = 0 ] || fail "b has a's note"
[ "$(sqlite3 "$tmp/b.db" "SELECT COUNT(*) FROM vote")" = 1 ] || fail "b lacks a's vote"
# widening sends nothing withheld before, unless asked (--resend: a's own notes go again)
expect 0 X a peer set b --send-all
expect 0 run a bundle export --peer b -o "$tmp/a-b3.bundle"
! grep -q "forum words" "$tmp/a-b3.bundle" || fail "widening resent a withheld note"
expect 0 X a peer set b --resend note --json
schema peer-set "$tmp/out"
[ "$(jq .resent "$tmp/out")" = 1 ] || fail "one note to send again"
expect 0 run a bundle export --peer b -o "$tmp/a-b4.bundle"
expect 0 X b bundle import "$tmp/a-b4.bundle"
[ "$(sqlite3 "$tmp/b.db" "SELECT COUNT(*) FROM note WHERE body = 'forum words'")" = 1 ] || fail "the note asked for did not come"
expect 0 run a bundle export --peer c -o "$tmp/a-c.bundle"
expect 0 X c bundle import "$tmp/a-c.bundle"
has "changes refused by this instance's policy (kinds: vote), nothing of them written"
[ "$(sqlite3 "$tmp/c.db" "SELECT COUNT(*) FROM note WHERE body = 'forum words'")" = 1 ] || fail "c lacks the note"
[ "$(sqlite3 "$tmp/c.db" "SELECT COUNT(*) FROM vote")" = 0 ] || fail "c took a refused vote"
expect 0 X c bundle import "$tmp/a-c.bundle" --json
[ "$(jq .applied "$tmp/out")" = 0 ] || fail "a replay applied something"

# through a hub: the hub sends b no notes (its policy), d gets them
expect 0 X d db init
expect 0 "$A" instance init --name d --db "sqlite:$tmp/d.db" --fed-key "$(key d)"
expect 0 X d instance show --json
PUB[d]=$(jq -r .pubkey "$tmp/out")
expect 0 X hub peer add a - --key "${PUB[a]}"
expect 0 X hub peer add b - --key "${PUB[b]}" --no note
expect 0 X hub peer add d - --key "${PUB[d]}"
expect 0 X a peer add hub - --key "${PUB[hub]}" --scope hub
for n in b d; do
  expect 0 X $n peer add hub - --key "${PUB[hub]}" --scope hub
  [ $n = b ] || expect 0 X $n peer add a - --key "${PUB[a]}"
done
expect 0 run a bundle export --peer hub -o "$tmp/a-hub.bundle"
expect 0 X hub bundle import "$tmp/a-hub.bundle"
for n in b d; do
  expect 0 run hub bundle export --peer $n -o "$tmp/hub-$n.bundle"
  [ $n = d ] || has "changes withheld by the peer's policy"
done
! grep -q "forum words" "$tmp/hub-b.bundle" || fail "the hub relayed a note to b"
grep -q "forum words" "$tmp/hub-d.bundle" || fail "the hub did not relay the note to d"
expect 0 X d bundle import "$tmp/hub-d.bundle"
[ "$(sqlite3 "$tmp/d.db" "SELECT COUNT(*) FROM note")" = 1 ] || fail "d lacks the note"

echo "cli_fed_policy: ok"
