#!/usr/bin/env bash
# cli_serve_knowledge.sh: the investigators' and analysts' routes of `ariadne serve`, end to end
# with the real program and curl: two agencies and users of every role; a case ingested by
# agency A, and the same file seen by agency B; series created and linked, a victim identified;
# then every route with an investigator of A (full view), an investigator of B (A's sightings only
# as counts, no paths, no private notes; cannot identify A's victim), an analyst (reads, votes,
# notes; cannot create series), a platform key (403 everywhere), missing and bad keys (401), bad
# bodies and parameters (400/422 with the field), unknown media (404), and one case walked page
# by page with its cursor.
set -u
A=${ARIADNE:?}
S=$AD_TEST_DATA/../samples
T=$AD_TEST_TMP/cli_serve_knowledge
tmp=$T
rm -rf "$T" && mkdir -p "$T/seizure a" "$T/seizure-b"
unset ARIADNE_DB ARIADNE_USER
export ARIADNE_DB="sqlite:$T/db.sqlite"
. "$AD_TEST_DATA/lib.sh"
ok() { "$@" >"$T/out" 2>"$T/err" || { cat "$T/out" "$T/err" >&2; fail "$*"; }; }
key() { ok "$A" user add "$1" --agency "$2" --role "$3" --json; jq -r .api_key "$T/out"; }

# --- the store: two agencies, a platform, users of every role
ok "$A" db init
ok "$A" agency add "Agency A" --country FR
ok "$A" agency add "Agency B" --country DE
ok "$A" agency add "Platform P" --kind platform
INV_A=$(key inv-a "Agency A" investigator)
AN_A=$(key an-a "Agency A" analyst)
ADM_A=$(key adm-a "Agency A" admin)
AUD_A=$(key aud-a "Agency A" auditor)
INV_B=$(key inv-b "Agency B" investigator)
PLAT=$(key plat "Platform P" platform)

# --- a small case of agency A; agency B has seen one of its files too
cp "$S/seizure/IMG_0001.jpg" "$S/seizure/IMG_0002.jpg" "$S/seizure/DSC_1001.jpg" \
  "$S/seizure/DSC_1002.jpg" "$S/seizure/IMG_0003.png" "$T/seizure a/"
cp "$S/seizure/IMG_0001.jpg" "$T/seizure-b/copy.jpg"
ok "$A" ingest "$T/seizure a" --case A-1 --agency "Agency A" --no-report --quiet
ok "$A" ingest "$T/seizure-b" --case B-1 --agency "Agency B" --no-report --quiet
SHA=$(sha256sum "$S/seizure/IMG_0001.jpg" | cut -c1-64)
SHA2=$(sha256sum "$S/seizure/IMG_0002.jpg" | cut -c1-64)
ok "$A" case list --json
CASE_A=$(jq -r 'select(.number=="A-1") | .id' "$T/out")
CASE_B=$(jq -r 'select(.number=="B-1") | .id' "$T/out")

# --- the server
"$A" serve --listen 127.0.0.1:0 --json --threads 2 --access-log "$T/access.log" \
  >"$T/serve.out" 2>"$T/serve.err" &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null' EXIT
for _ in $(seq 100); do [ -s "$T/serve.out" ] && break; sleep 0.1; done
URL=$(jq -r .listening "$T/serve.out")
[ -n "$URL" ] && [ "$URL" != null ] || { cat "$T/serve.err" >&2; fail "no listening line"; }

# call WANT KEY METHOD PATH [BODY]: the status must be WANT; the body is in $T/out
call() {
  local want=$1 k=$2 m=$3 p=$4 body=${5:-}
  local args=(-s -o "$T/out" -w '%{http_code}' -X "$m")
  [ -n "$k" ] && args+=(-H "Authorization: Bearer $k")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  local got
  got=$(curl "${args[@]}" "$URL$p") || fail "curl $m $p"
  [ "$got" = "$want" ] || { cat "$T/out" >&2; fail "$m $p: status $got (want $want)"; }
}
# field F: the problem names the field F
field() { [ "$(jq -r .field "$T/out")" = "$1" ] || { cat "$T/out" >&2; fail "field is not $1"; }; }
lacks() { ! grep -q -- "$1" "$T/out" || { cat "$T/out" >&2; fail "output has '$1'"; }; }

# --- series: investigator A creates and links, adds a victim, identifies it
call 201 "$INV_A" POST /v1/series '{"name":"Blue Room","contact":"blue@a.example"}'
GID=$(jq -r .gid "$T/out")
[[ "$GID" =~ ^[0-9a-f-]{36}:series:[0-9]+$ ]] || fail "series gid $GID"
call 409 "$INV_A" POST /v1/series '{"name":"Blue Room"}'
call 403 "$AN_A" POST /v1/series '{"name":"Analyst Series"}'
call 200 "$INV_A" POST "/v1/series/Blue%20Room/media" "{\"hashes\":[\"$SHA\"]}"
has '"linked":1'
call 404 "$INV_A" POST "/v1/series/Blue%20Room/media" '{"hashes":["0123456789abcdef0123456789abcdef"]}'
field /hashes/0
call 200 "$INV_A" POST "/v1/series/$GID/media" \
  '{"hashes":["0123456789abcdef0123456789abcdef"],"create":true}'
call 404 "$INV_A" POST /v1/series/Nowhere/media "{\"hashes\":[\"$SHA\"]}"
field series
# undoing a link: the owner agency's investigators only; recorded, shared; linking again counts
call 403 "$INV_B" POST "/v1/series/Blue%20Room/media/$SHA/unlink"
call 403 "$AN_A" POST "/v1/series/Blue%20Room/media/$SHA/unlink"
call 201 "$INV_A" POST "/v1/series/Blue%20Room/media/$SHA/unlink"
[[ "$(jq -r .unlink "$T/out")" =~ :unlink:[0-9]+$ ]] || fail "unlink gid"
call 404 "$INV_A" POST "/v1/series/Blue%20Room/media/$SHA/unlink"
field media
call 200 "$INV_A" GET "/v1/series/Blue%20Room"
has '"media":1,'
call 200 "$INV_A" POST "/v1/series/Blue%20Room/media" "{\"hashes\":[\"$SHA\"]}"
has "\"new\":\\[\"$SHA\"\\]"
call 200 "$INV_A" POST "/v1/series/Blue%20Room/media" "{\"hashes\":[\"$SHA\"]}"
has '"new":\[\]'
call 201 "$INV_A" POST "/v1/series/Blue%20Room/victims" '{"code":"V-1"}'
[[ "$(jq -r .gid "$T/out")" =~ :victim:[0-9]+$ ]] || fail "victim gid"
call 201 "$INV_A" POST "/v1/series/Blue%20Room/offenders" '{"code":"O-1"}'
call 403 "$AN_A" POST "/v1/series/Blue%20Room/victims" '{"code":"V-2"}'
call 403 "$INV_B" POST /v1/victims/V-1/identify '{"country":"DE"}'
call 403 "$AN_A" POST /v1/victims/V-1/identify '{}'
call 200 "$INV_A" POST /v1/victims/V-1/identify '{"country":"FR"}'
has '"status":"identified"'
call 409 "$INV_A" POST /v1/victims/V-1/identify '{}'
call 404 "$INV_A" POST /v1/victims/V-9/identify '{}'
call 200 "$INV_A" GET "/v1/series/Blue%20Room"
has '"victim_list":\[{"code":"V-1","status":"identified"'
call 200 "$INV_B" GET "/v1/series/$GID"
has '"owner":"Agency A"'
call 200 "$AN_A" GET /v1/series
[ "$(jq '.series | length' "$T/out")" = 1 ] || fail "series list"

# --- votes and notes: analysts too; private notes stay with their agency
call 201 "$AN_A" POST /v1/votes "{\"hash\":\"$SHA\",\"scheme\":\"uk\",\"code\":\"B\"}"
[[ "$(jq -r .media_gid "$T/out")" =~ :media:[0-9]+$ ]] || fail "vote media gid"
call 422 "$AN_A" POST /v1/votes "{\"hash\":\"$SHA\",\"scheme\":\"uk\",\"code\":\"Z\"}"
field /code
call 422 "$AN_A" POST /v1/votes "{\"hash\":\"$SHA\",\"scheme\":\"xx\",\"code\":\"B\"}"
field /scheme
call 404 "$AN_A" POST /v1/votes '{"hash":"0000000000000000000000000000000a","scheme":"uk","code":"B"}'
call 201 "$AN_A" POST /v1/notes "{\"object_type\":\"media\",\"object\":\"$SHA\",\"text\":\"shared note\"}"
call 201 "$INV_A" POST /v1/notes \
  "{\"object_type\":\"media\",\"object\":\"$SHA\",\"text\":\"secret of A\",\"private\":true}"
call 201 "$INV_A" POST /v1/notes \
  "{\"object_type\":\"series\",\"object\":\"Blue Room\",\"text\":\"ducks\",\"clue\":\"object\"}"
call 403 "$INV_B" POST /v1/notes "{\"object_type\":\"case\",\"object\":\"$CASE_A\",\"text\":\"x\"}"
call 201 "$INV_A" POST /v1/notes "{\"object_type\":\"case\",\"object\":\"$CASE_A\",\"text\":\"x\"}"
call 422 "$INV_A" POST /v1/notes '{"object_type":"planet","object":"x","text":"y"}'
field /object_type
call 422 "$INV_A" POST /v1/notes '{"object_type":"media","object":"x"}'
call 422 "$INV_A" POST /v1/notes '{"object_type":"media","object":"x","text":"y","extra":1}'
field /extra

# --- media: A sees its own custody and B's as counts; B sees A's only as counts
call 200 "$INV_A" GET "/v1/media/$SHA"
schema media-show "$T/out"
has '"class":"known-identified"'
has 'seizure a/IMG_0001.jpg'
has 'secret of A'
has 'shared note'
[ "$(jq '.sightings | length' "$T/out")" = 1 ] || fail "A's sightings"
[ "$(jq -r '.sightings_elsewhere[0].agency' "$T/out")" = "Agency B" ] || fail "B counted for A"
lacks 'seizure-b/copy.jpg'
MGID=$(jq -r .media.gid "$T/out")
call 200 "$INV_B" GET "/v1/media/$SHA"
schema media-show "$T/out"
has 'seizure-b/copy.jpg'
lacks 'seizure a'
lacks 'secret of A'
lacks '"case":"A-1"'
has 'shared note'
[ "$(jq -r '.sightings_elsewhere[0].agency' "$T/out")" = "Agency A" ] || fail "A counted for B"
[ "$(jq -r '.sightings_elsewhere[0].sightings' "$T/out")" = 1 ] || fail "A's count"
[ "$(jq -r '.sightings_elsewhere[0].first' "$T/out")" != null ] || fail "first seen"
call 200 "$AN_A" GET "/v1/media/$MGID"
has 'secret of A'
call 200 "$INV_A" GET "/v1/media/md5:$(md5sum "$S/seizure/IMG_0002.jpg" | cut -c1-32)?radius=10"
has "\"sha256\":\"$SHA2\""
call 404 "$INV_A" GET /v1/media/0123456789abcdef0123456789abcde0
call 400 "$INV_A" GET /v1/media/nothex
field hash
call 422 "$INV_A" GET "/v1/media/$SHA?radius=99"
field radius
call 400 "$INV_A" GET "/v1/media/$SHA?colour=red"

# --- cases: each agency its own; a case's files page by page
call 200 "$INV_A" GET /v1/cases
[ "$(jq -r '[.cases[].number] | join(",")' "$T/out")" = A-1 ] || fail "A's cases"
call 200 "$INV_B" GET /v1/cases
[ "$(jq -r '[.cases[].number] | join(",")' "$T/out")" = B-1 ] || fail "B's cases"
call 403 "$INV_B" GET "/v1/cases/$CASE_A/files"
call 404 "$INV_A" GET /v1/cases/999/files
call 422 "$INV_A" GET /v1/cases/x/files
call 422 "$INV_A" GET "/v1/cases/$CASE_A/files?limit=0"
field limit
call 422 "$INV_A" GET "/v1/cases/$CASE_A/files?cursor=zz"
field cursor
# the candidate groups' pages: limit 0 is refused (not read as absent: all), as a bad after
for q in limit=0 limit=000 'limit=1&after=x'; do
  call 422 "$INV_A" GET "/v1/cases/$CASE_A/groups?$q"
  f=${q##*&}
  field "${f%%=*}"
done
call 200 "$INV_A" GET "/v1/cases/$CASE_A/groups?limit=1"
call 200 "$INV_A" GET "/v1/cases/$CASE_A/groups"
[ "$(jq -r .next "$T/out")" = null ] || fail "groups: all of them in one page"
cursor="" seen=0 pages=0
while :; do
  call 200 "$AN_A" GET "/v1/cases/$CASE_A/files?limit=2${cursor:+&cursor=$cursor}"
  n=$(jq '.files | length' "$T/out")
  seen=$((seen + n)) pages=$((pages + 1))
  jq -r '.files[].path' "$T/out" >>"$T/paths"
  cursor=$(jq -r '.next // empty' "$T/out")
  [ -n "$cursor" ] || break
  [ "$n" = 2 ] || fail "a page before the last has $n files"
  [ $pages -lt 10 ] || fail "the walk does not end"
done
[ $seen = 5 ] && [ $pages = 3 ] || fail "walked $seen files in $pages pages (want 5 in 3)"
[ "$(sort -u "$T/paths" | wc -l)" = 5 ] || fail "a file given twice"
grep -q 'IMG_0001.jpg' "$T/paths" || fail "paths"
call 200 "$INV_A" GET "/v1/cases/$CASE_A/files"
[ "$(jq '.files | length' "$T/out")" = 5 ] && [ "$(jq -r .next "$T/out")" = null ] || fail "one page"
[ "$(jq -r '.files[] | select(.sha256=="'"$SHA"'") | .class' "$T/out")" != null ] || fail "class"

# --- uploads: triage results of an agency that triages locally, in batches
upfile() { # path sha256 [md5]
  printf '{"path":"%s","sha256":"%s","size":10,"mtime":1700000000%s}' "$1" "$2" \
    "${3:+,\"md5\":\"$3\"}"
}
NEW1=$(printf 'upload-1' | sha256sum | cut -c1-64)
NEW2=$(printf 'upload-2' | sha256sum | cut -c1-64)
call 201 "$INV_B" POST /v1/uploads \
  "{\"case\":\"B-2\",\"files\":[$(upfile /mnt/b/one.jpg "$NEW1"),$(upfile /mnt/b/known.jpg "$SHA")]}"
JOB=$(jq -r .job "$T/out")
[ "$(jq -r '[.media[].known] | join(",")' "$T/out")" = false,true ] || fail "upload: known"
[ "$(jq -r .new_media "$T/out")" = 1 ] || fail "upload: new media"
call 409 "$INV_B" POST /v1/uploads \
  "{\"case\":\"B-2\",\"job\":\"$JOB\",\"files\":[$(upfile /mnt/b/one.jpg "$NEW1")]}"
call 201 "$INV_B" POST /v1/uploads \
  "{\"case\":\"B-2\",\"job\":\"$JOB\",\"done\":true,\"files\":[$(upfile /mnt/b/two.jpg "$NEW2")]}"
CASE_B2=$(jq -r .case "$T/out")
call 200 "$INV_B" GET "/v1/cases/$CASE_B2/files"
[ "$(jq -r '[.files[].path] | join(",")' "$T/out")" = /mnt/b/one.jpg,/mnt/b/known.jpg,/mnt/b/two.jpg ] ||
  fail "uploaded files in order"
[ "$(jq -r '.files[1].class' "$T/out")" = known-identified ] || fail "uploaded known file's class"
call 200 "$INV_A" GET "/v1/media/$SHA"
[ "$(jq -r '.sightings_elsewhere[0].sightings' "$T/out")" = 2 ] || fail "B's upload counted for A"
lacks /mnt/b/
call 403 "$AN_A" POST /v1/uploads "{\"case\":\"A-9\",\"files\":[$(upfile /x "$NEW1")]}"
call 403 "$ADM_A" POST /v1/uploads "{\"case\":\"A-9\",\"files\":[$(upfile /x "$NEW1")]}"
call 422 "$INV_A" POST /v1/uploads '{"case":"A-9","files":[{"path":"/x","sha256":"abc"}]}'
field /files/0/sha256
call 422 "$INV_A" POST /v1/uploads "{\"case\":\"A-9\",\"files\":[{\"sha256\":\"$NEW1\"}]}"
field /files/0/path
call 422 "$INV_A" POST /v1/uploads '{"case":"A-9","files":[]}'
field /files
call 409 "$INV_A" POST /v1/uploads "{\"case\":\"A-9\",\"job\":\"$JOB\",\"files\":[$(upfile /x "$NEW1")]}"
field /job

# --- keys: none, bad, a platform's, an admin's, an auditor's
ROUTES=("GET /v1/media/$SHA" "GET /v1/series" "POST /v1/series" "GET /v1/series/$GID"
  "POST /v1/series/$GID/media" "POST /v1/series/$GID/victims" "POST /v1/series/$GID/offenders"
  "POST /v1/victims/V-1/identify" "POST /v1/offenders/O-1/identify" "POST /v1/votes"
  "POST /v1/notes" "GET /v1/cases" "GET /v1/cases/$CASE_A/files" "POST /v1/uploads")
body_of() {
  case $1 in
    */series) echo '{"name":"P"}' ;; */media) echo "{\"hashes\":[\"$SHA\"]}" ;;
    */victims|*/offenders) echo '{"code":"P-1"}' ;; */identify) echo '{}' ;;
    */votes) echo "{\"hash\":\"$SHA\",\"scheme\":\"uk\",\"code\":\"A\"}" ;;
    */notes) echo "{\"object_type\":\"media\",\"object\":\"$SHA\",\"text\":\"p\"}" ;;
    */uploads) echo "{\"case\":\"P\",\"files\":[$(upfile /p "$SHA")]}" ;;
  esac
}
for r in "${ROUTES[@]}"; do
  m=${r%% *} p=${r#* } b=""
  [ "$m" = POST ] && b=$(body_of "$p")
  call 403 "$PLAT" "$m" "$p" "$b"
  call 403 "$AUD_A" "$m" "$p" "$b"
done
# failed authentications are rate-limited per address: a few routes only
for r in "GET /v1/media/$SHA" "POST /v1/series" "GET /v1/cases/$CASE_A/files"; do
  m=${r%% *} p=${r#* } b=""
  [ "$m" = POST ] && b=$(body_of "$p")
  call 401 "" "$m" "$p" "$b"
  call 401 "ak_00000000_$(printf '0%.0s' $(seq 64))" "$m" "$p" "$b"
done
call 403 "$ADM_A" POST /v1/votes "$(body_of /v1/votes)"
call 200 "$ADM_A" GET "/v1/media/$SHA"
# bodies that cannot be read, or are not JSON
call 400 "$INV_A" POST /v1/series '{"name":'
call 422 "$INV_A" POST /v1/series '{"name":5}'
field /name
code=$(curl -s -o "$T/out" -w '%{http_code}' -H "Authorization: Bearer $INV_A" \
  -H 'Content-Type: text/plain' --data-binary x "$URL/v1/series")
[ "$code" = 415 ] || fail "text body: $code"

# the audit names the users of the keys
kill $PID && wait $PID
trap - EXIT
ok "$A" audit show --json --limit 500
grep -q 'victim.identify' "$T/out" || fail "no identify in the audit"
grep -q 'inv-a (key:' "$T/out" || fail "the audit does not name inv-a's key"
# the operator of the store sees every sighting, and which notes are private
ok "$A" media show "$SHA"
grep -q 'secret of A  (private)' "$T/out" || fail "media show: private note"
grep -q 'seizure-b/copy.jpg' "$T/out" && grep -q 'seizure a/IMG_0001.jpg' "$T/out" ||
  fail "media show: every sighting"
! grep -q 'Seen by other agencies' "$T/out" || fail "media show: counts for the operator"

# --- PostgreSQL: two uploads of the same media at once merge (one record each, every sighting)
if [ -n "${AD_TEST_PG:-}" ]; then
  pgdb=ad_serve_knowledge_$$
  psql "$AD_TEST_PG/postgres" -qc "CREATE DATABASE $pgdb" || fail "createdb"
  trap 'kill $PID 2>/dev/null; psql "$AD_TEST_PG/postgres" -qc "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1' EXIT
  export ARIADNE_DB="$AD_TEST_PG/$pgdb"
  ok "$A" db init
  ok "$A" agency add "Agency A"
  ok "$A" agency add "Agency B"
  INV_A=$(key inv-a "Agency A" investigator)
  INV_B=$(key inv-b "Agency B" investigator)
  rm -f "$T/serve.out"
  "$A" serve --listen 127.0.0.1:0 --json --threads 4 --access-log "$T/access-pg.log" \
    >"$T/serve.out" 2>"$T/serve.err" &
  PID=$!
  for _ in $(seq 100); do [ -s "$T/serve.out" ] && break; sleep 0.1; done
  URL=$(jq -r .listening "$T/serve.out")
  files=$(for i in $(seq 1 300); do
    printf '%s' "$(upfile "/e/f$i.jpg" "$(printf 'same-%d' "$i" | sha256sum | cut -c1-64)")"
    [ "$i" = 300 ] || printf ,
  done)
  for who in A B; do
    k=INV_$who
    for n in 1 2; do
      curl -s -o "$T/up-$who-$n" -w '%{http_code}' -H "Authorization: Bearer ${!k}" \
        -H 'Content-Type: application/json' \
        --data-binary "{\"case\":\"C-$n\",\"files\":[$files]}" "$URL/v1/uploads" \
        >"$T/code-$who-$n" &
    done
  done
  wait $(jobs -p | grep -v "^$PID$") 2>/dev/null
  for f in "$T"/code-*; do [ "$(cat "$f")" = 201 ] || { cat "$T"/up-*; fail "an upload: $(cat "$f")"; }; done
  n=$(psql "$ARIADNE_DB" -Atc "SELECT COUNT(*), COUNT(DISTINCT sha256) FROM media")
  [ "$n" = "300|300" ] || fail "media after four uploads at once: $n (want 300|300)"
  n=$(psql "$ARIADNE_DB" -Atc "SELECT COUNT(*) FROM sighting")
  [ "$n" = 1200 ] || fail "sightings after four uploads at once: $n (want 1200)"
  kill $PID && wait $PID
  ok "$A" audit verify
fi
echo "cli_serve_knowledge: ok"
