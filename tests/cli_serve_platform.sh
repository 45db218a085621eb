#!/bin/bash
# cli_serve_platform.sh: `ariadne serve` for platforms, end to end with the real program and
# curl: a platform key matches by MD5, SHA-256 and PDQ (radius, dihedral forms) against the
# lists granted to its agency and nothing else; it reads nothing else; bad bodies are problems
# (400, 422, 413); an upload is hashed in memory and matched. Then on PostgreSQL (AD_TEST_PG):
# two servers on one database both match an entry the CLI writes while they run, within a
# second; a server killed with -9 and restarted matches everything again.
set -u
tmp=$(mktemp -d "${AD_TEST_TMP:-/tmp}/cli_serve_platform.XXXXXX")
. "$AD_TEST_DATA/lib.sh"
A=$ARIADNE
T=$tmp
pids=""
pgdb=""
cleanup() {
  for p in $pids; do { kill -9 "$p" && wait "$p"; } 2>/dev/null; done
  [ -n "$pgdb" ] && psql "$AD_TEST_PG/postgres" -qc "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

# serve DB NAME [OPTIONS...]: starts a server in the background; its URL in $url, pid in $pid
serve() {
  local db=$1 name=$2; shift 2
  "$A" serve --db "$db" --listen 127.0.0.1:0 --json --access-log "$T/$name.log" "$@" \
    >"$T/$name.out" 2>"$T/$name.err" &
  pid=$!
  pids="$pids $pid"
  url=""
  for _ in $(seq 1 200); do
    url=$(jq -r '.listening // empty' "$T/$name.out" 2>/dev/null | head -1)
    [ -n "$url" ] && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$T/$name.err" >&2; fail "serve $name did not start"; }
    sleep 0.05
  done
  fail "serve $name printed no address"
}

# req KEY METHOD URL [BODY-FILE [TYPE]]: the status in $status, the body in $T/body
req() {
  local key=$1 method=$2 u=$3 file=${4:-} type=${5:-application/json}
  local args=(-s -o "$T/body" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $key")
  [ -n "$file" ] && args+=(-H "Content-Type: $type" --data-binary "@$file")
  status=$(curl "${args[@]}" "$u")
}
want() { [ "$status" = "$1" ] || { cat "$T/body" >&2; fail "HTTP $status, want $1 ($2)"; }; }
problem() { # STATUS WHAT: a problem+json of that status
  want "$1" "$2"
  [ "$(jq -r .status "$T/body")" = "$1" ] || fail "$2: not a problem document"
}
matches() { jq '[.results[].matches | length] | add' "$T/body"; }

# ---- the store: a hotline's lists, one granted to platformco --------------------------------
DB=sqlite:$T/s.db
expect 0 "$A" db init --db "$DB"
expect 0 "$A" agency add hotline --kind hotline --db "$DB"
expect 0 "$A" agency add platformco --kind platform --db "$DB"
expect 0 "$A" user add plat --agency platformco --role platform --db "$DB" --json
PK=$(jq -r .api_key "$T/out")
expect 0 "$A" user add adm --agency hotline --role admin --db "$DB" --json
AK=$(jq -r .api_key "$T/out")
for i in 1 2 3 4 5; do
  /usr/bin/convert -seed $i -size 160x120 plasma:fractal "$T/i$i.png" || fail convert
  "$A" hash --dihedral --json "$T/i$i.png" >"$T/i$i.json" || fail "hash i$i"
done
/usr/bin/convert "$T/i3.png" -rotate 90 "$T/i3r.png" || fail convert
"$A" hash --dihedral --json "$T/i3r.png" >"$T/i3r.json" || fail "hash i3r"
h() { jq -r ".$2" "$T/$1.json"; }
{ h i1 md5; h i2 sha256; echo "pdq:$(h i3 pdq)"; h i5 md5; } >"$T/known.txt"
h i4 sha256 >"$T/secret.txt"
expect 0 "$A" import --format hashlist --list known "$T/known.txt" --db "$DB" --as adm
expect 0 "$A" import --format hashlist --list secret "$T/secret.txt" --db "$DB" --as adm
expect 0 "$A" list grant known platformco --db "$DB"
# a video ingested (its vPDQ frames in the store), then listed by its SHA-256
vid=$(ls -S "$AD_TEST_DATA"/vectors/vpdq/videos/* | tail -1)
mkdir "$T/seized" && cp "$vid" "$T/seized/" || fail "copy $vid"
expect 0 "$A" ingest "$T/seized" --case C-1 --agency hotline --no-report --quiet --db "$DB"
sha256sum "$vid" | cut -c1-64 >"$T/video.txt"
expect 0 "$A" import --format hashlist --list known "$T/video.txt" --db "$DB" --as adm

serve "$DB" s1 --max-body 2M --hold-min 8
S=$url
grep -q 'live index loaded in .* s: 6 PDQ, 7 digests, 6 list entries (0 held back)' "$T/s1.err" ||
  fail "serve's load line: $(cat "$T/s1.err")"

# ---- matching -------------------------------------------------------------------------------
# a PDQ 4 bits away from i3's (the first hex digit's bits flipped)
p3=$(h i3 pdq)
near=$(printf '%x' $(( 0x${p3:0:1} ^ 0xf )))${p3:1}
jq -n --arg md5 "$(h i1 md5)" --arg sha "$(h i2 sha256)" --arg near "$near" \
  --arg secret "$(h i4 sha256)" --argjson dih "$(jq -c .dihedral "$T/i3r.json")" \
  '{hashes: [{type: "md5", value: $md5}, {type: "sha256", value: $sha},
             {type: "pdq", value: $near, radius: 8}, {type: "pdq", value: $near, radius: 3},
             {type: "pdq", dihedral: $dih}, {type: "sha256", value: $secret}]}' >"$T/m.json"
req "$PK" POST "$S/v1/match" "$T/m.json"
want 200 "match"
r() { jq -c ".results[$1].matches" "$T/body"; }
[ "$(r 0 | jq -r '.[0].list')" = known ] || fail "md5: $(r 0)"
[ "$(r 0 | jq -r '.[0].distance')" = 0 ] || fail "md5 distance: $(r 0)"
[ "$(r 1 | jq length)" = 1 ] || fail "sha256: $(r 1)"
[ "$(r 2 | jq -r '.[0].distance')" = 4 ] || fail "pdq radius 8: $(r 2)"
[ "$(r 3 | jq length)" = 0 ] || fail "pdq radius 3 found something: $(r 3)"
[ "$(r 4 | jq length)" = 1 ] || fail "dihedral: $(r 4)"
v=$(r 4 | jq -r '.[0].variant')
[ "$v" != orig ] && [ "$v" != null ] || fail "dihedral variant: $(r 4)"
[ "$(r 5 | jq length)" = 0 ] || fail "a list not granted matched: $(r 5)"
# nothing but the entry: no media, series or case
[ "$(r 0 | jq -c '.[0] | keys')" = '["distance","entry","list","variant"]' ] || fail "$(r 0)"
entry=$(r 0 | jq -r '.[0].entry')

# ---- a platform key reads nothing else ------------------------------------------------------
req "$PK" GET "$S/v1/me"; want 200 me
[ "$(jq -r .role "$T/body")" = platform ] || fail "me: $(cat "$T/body")"
req "$PK" GET "$S/v1/lists/known/review"; problem 403 "platform reads a review"
req "$PK" POST "$S/v1/lists/known/entries/$entry/release"; problem 403 "platform releases"
for path in /v1/media/$(h i1 sha256) /v1/series /v1/cases /v1/audit; do
  req "$PK" GET "$S$path"
  [ "$status" = 403 ] || [ "$status" = 404 ] || fail "platform GET $path: $status"
done
# another role may not match
req "$AK" POST "$S/v1/match" "$T/m.json"; problem 403 "admin matches"

# ---- bad bodies -----------------------------------------------------------------------------
printf '{"hashes": [' >"$T/bad.json"
req "$PK" POST "$S/v1/match" "$T/bad.json"; problem 400 "malformed JSON"
echo '{"hashes": [{"type": "md5", "value": "zz"}]}' >"$T/bad.json"
req "$PK" POST "$S/v1/match" "$T/bad.json"; problem 422 "bad hex"
echo '{"hashes": [{"type": "md5", "value": "'"$(h i1 sha256)"'"}]}' >"$T/bad.json"
req "$PK" POST "$S/v1/match" "$T/bad.json"; problem 422 "an md5 of 64 digits"
[ "$(jq -r .field "$T/body")" = /hashes/0/value ] || fail "field: $(cat "$T/body")"
echo '{"hashes": [{"type": "pdq", "value": "'"$p3"'", "radius": 40}]}' >"$T/bad.json"
req "$PK" POST "$S/v1/match" "$T/bad.json"; problem 422 "radius 40"
echo '{"hashes": [{"type": "md5", "value": "'"$(h i1 md5)"'", "extra": 1}]}' >"$T/bad.json"
req "$PK" POST "$S/v1/match" "$T/bad.json"; problem 422 "unknown member"
jq -n --arg v "$(h i1 md5)" '{hashes: [range(10001) | {type: "md5", value: $v}]}' >"$T/many.json"
req "$PK" POST "$S/v1/match" "$T/many.json"; problem 413 "10,001 hashes"
head -c 2200000 /dev/zero >"$T/big.bin"
req "$PK" POST "$S/v1/hash" "$T/big.bin" application/octet-stream; problem 413 "over --max-body"
req "$PK" POST "$S/v1/match" "$T/m.json" text/plain; problem 415 "not JSON"

# ---- an upload hashed in memory, matched ----------------------------------------------------
req "$PK" POST "$S/v1/hash?match=true" "$T/i1.png" application/octet-stream
want 200 "hash"
[ "$(jq -r .md5 "$T/body")" = "$(h i1 md5)" ] || fail "upload md5: $(cat "$T/body")"
[ "$(jq -r .pdq "$T/body")" = "$(h i1 pdq)" ] || fail "upload pdq"
[ "$(jq '.dihedral | length' "$T/body")" = 8 ] || fail "upload dihedral"
[ "$(jq -r '.matches[0].entry' "$T/body")" = "$entry" ] || fail "upload match: $(cat "$T/body")"
req "$PK" POST "$S/v1/hash?match=true" "$T/i3r.png" application/octet-stream
[ "$(jq -r '.matches[0].list' "$T/body")" = known ] || fail "rotated upload: $(cat "$T/body")"
[ "$(jq -r '.matches[0].by' "$T/body")" = pdq ] || fail "rotated upload by: $(cat "$T/body")"
# a video: its vPDQ frames hashed from memory, matched by SHA-256; its frames alone match by vPDQ
req "$PK" POST "$S/v1/hash?match=true" "$vid" application/octet-stream
want 200 "video"
[ "$(jq '.vpdq | length' "$T/body")" -gt 0 ] || fail "video: no vPDQ frames"
[ "$(jq -r '.matches[0].list' "$T/body")" = known ] || fail "video upload: $(cat "$T/body")"
jq '{hashes: [{type: "vpdq", frames: [.vpdq[] | {pdq, quality}], radius: 16}]}' "$T/body" \
  >"$T/vq.json"
"$A" vpdq "$vid" >"$T/video.vpdq" || fail "ariadne vpdq"
jq --rawfile t "$T/video.vpdq" '.hashes += [{type: "vpdq", text: $t}]' "$T/vq.json" >"$T/vq2.json"
req "$PK" POST "$S/v1/match" "$T/vq2.json"; want 200 "vpdq"
for k in 0 1; do
  [ "$(r $k | jq -r '.[0].pct')" = 100 ] || fail "vpdq $k: $(cat "$T/body")"
  [ "$(r $k | jq -r '.[0].frames')" -gt 0 ] || fail "vpdq $k frames: $(cat "$T/body")"
done
echo '{"hashes": [{"type": "vpdq", "text": "not a vpdq line"}]}' >"$T/bad.json"
req "$PK" POST "$S/v1/match" "$T/bad.json"; problem 422 "vpdq text"
req "$PK" POST "$S/v1/hash?match=maybe" "$T/i1.png" application/octet-stream; problem 400 "match=maybe"
# an admin (investigators alike) gets the lookup instead of list entries; an auditor may not hash
req "$AK" POST "$S/v1/hash?match=true" "$T/i1.png" application/octet-stream; want 200 "admin hash"
[ "$(jq -r .lookup.class "$T/body")" = known-unseriesed ] || fail "admin lookup: $(cat "$T/body")"
[ "$(jq -r 'has("matches")' "$T/body")" = false ] || fail "admin got list entries"
expect 0 "$A" user add aud --agency hotline --role auditor --db "$DB" --json
UK=$(jq -r .api_key "$T/out")
req "$UK" POST "$S/v1/hash" "$T/i1.png" application/octet-stream; problem 403 "auditor hashes"

# ---- feedback, review, the hold and its release ---------------------------------------------
echo '{"entry": "'"$entry"'", "verdict": "false_positive"}' >"$T/fb.json"
req "$PK" POST "$S/v1/feedback" "$T/fb.json"; want 200 feedback
[ "$(jq -r .false_positives "$T/body")" = 1 ] || fail "feedback: $(cat "$T/body")"
echo '{"entry": "99:99", "verdict": "confirmed"}' >"$T/fb.json"
req "$PK" POST "$S/v1/feedback" "$T/fb.json"; problem 404 "feedback on an unknown entry"
req "$AK" GET "$S/v1/lists/known/review"; want 200 review
[ "$(jq -r '.entries[0].entry' "$T/body")" = "$entry" ] || fail "review: $(cat "$T/body")"
req "$AK" POST "$S/v1/lists/known/entries/$entry/release"; problem 404 "release of an entry not held"
# the hold rule (--hold-min 8): the 9th match of an entry in the hour holds it back; the
# owner sees it held, releases it, and it is matched again
jq -n --arg v "$(h i5 md5)" '{hashes: [{type: "md5", value: $v}]}' >"$T/hold.json"
for k in 1 2 3 4 5 6 7 8; do
  req "$PK" POST "$S/v1/match" "$T/hold.json"; want 200 "match $k"
  [ "$(matches)" = 1 ] || fail "match $k of i5: $(cat "$T/body")"
done
req "$PK" POST "$S/v1/match" "$T/hold.json"
[ "$(matches)" = 0 ] || fail "the 9th match was answered: $(cat "$T/body")"
req "$AK" GET "$S/v1/lists/known/review"; want 200 review
held=$(jq -r '.entries[] | select(.held) | .entry' "$T/body")
[ -n "$held" ] || fail "no entry held: $(cat "$T/body")"
[ "$(jq -r "$(printf '.entries[] | select(.entry == "%s") | .reason' "$held")" "$T/body")" != null ] ||
  fail "the hold has no reason"
req "$AK" POST "$S/v1/lists/known/entries/$held/release"; want 200 release
[ "$(jq -r .held "$T/body")" = false ] || fail "release: $(cat "$T/body")"
# (the release reaches the live index through the follower: within a second)
for k in $(seq 1 100); do
  req "$PK" POST "$S/v1/match" "$T/hold.json"
  [ "$(matches)" = 1 ] && break
  [ "$k" = 100 ] && fail "released entry not matched: $(cat "$T/body")"
  sleep 0.02
done
kill -TERM "$pid"; wait "$pid" || fail "serve did not stop with 0"

# ---- PostgreSQL: two servers, a write by the CLI matched by both within a second ------------
if [ -z "${AD_TEST_PG:-}" ]; then
  echo "cli_serve_platform: AD_TEST_PG unset, PostgreSQL part skipped"
  exit 0
fi
pgdb=serve_plat_$$
psql "$AD_TEST_PG/postgres" -qc "CREATE DATABASE $pgdb" || fail createdb
PG=$AD_TEST_PG/$pgdb
expect 0 "$A" db init --db "$PG"
expect 0 "$A" agency add hotline --kind hotline --db "$PG"
expect 0 "$A" agency add platformco --kind platform --db "$PG"
expect 0 "$A" user add plat --agency platformco --role platform --db "$PG" --json
PK=$(jq -r .api_key "$T/out")
expect 0 "$A" import --format hashlist --list known "$T/known.txt" --db "$PG"
expect 0 "$A" list grant known platformco --db "$PG"
serve "$PG" p1; U1=$url
serve "$PG" p2; U2=$url; pid2=$pid
jq -n --arg v "$(h i4 sha256)" '{hashes: [{type: "sha256", value: $v}]}' >"$T/new.json"
for u in "$U1" "$U2"; do
  req "$PK" POST "$u/v1/match" "$T/new.json"; want 200 "pg match"
  [ "$(matches)" = 0 ] || fail "i4 matched before it was listed"
done
h i4 sha256 >"$T/new.txt"
t0=$(date +%s.%N)
expect 0 "$A" import --format hashlist --list known "$T/new.txt" --db "$PG"
t1=$(date +%s.%N)
for n in 1 2; do
  u=$U1; [ $n = 2 ] && u=$U2
  found=""
  while :; do
    req "$PK" POST "$u/v1/match" "$T/new.json"
    [ "$status" = 200 ] && [ "$(matches)" = 1 ] && { found=$(date +%s.%N); break; }
    [ "$(echo "$(date +%s.%N) - $t1 > 2" | bc)" = 1 ] && fail "server $n: no match 2 s after the write"
    sleep 0.02
  done
  # an upper bound: the time until this server answered a match (the polls are sequential)
  echo "cli_serve_platform: server $n matched the CLI's write within $(echo "$found - $t1" | bc) s of its commit (the import took $(echo "$t1 - $t0" | bc) s)"
done
# a server killed with -9, restarted on the same database: everything is matched again
{ kill -9 "$pid2" && wait "$pid2"; } 2>/dev/null
jq -n --arg a "$(h i1 md5)" --arg b "$(h i2 sha256)" --arg c "$p3" --arg d "$(h i4 sha256)" \
  '{hashes: [{type: "md5", value: $a}, {type: "sha256", value: $b}, {type: "pdq", value: $c},
             {type: "sha256", value: $d}]}' >"$T/all.json"
serve "$PG" p3; U3=$url
req "$PK" POST "$U3/v1/match" "$T/all.json"; want 200 "restarted"
[ "$(jq -c '[.results[].matches | length]' "$T/body")" = '[1,1,1,1]' ] || fail "restarted: $(cat "$T/body")"
curl -s "$U3/healthz" | jq -e '.status == "ok"' >/dev/null || fail "healthz after restart"
curl -s "$U3/metrics" | grep -q '^ariadne_index_entries 5$' || fail "metrics: $(curl -s "$U3/metrics" | grep ariadne_index)"
echo "cli_serve_platform: ok"
