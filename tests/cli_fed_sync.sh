#!/bin/bash
# cli_fed_sync.sh: `ariadne serve --sync-every` (docs/federation.md "Transport"): two servers on
# loopback, a and b; a syncs with b every second. A series made on b while both run appears on
# a with no manual sync; a PDQ that came by sync makes a's list entry (an MD5 until then)
# matchable through /v1/match at once (the live index follows the index log, which federation
# applies feed); a's changes reach b; b stopped: a logs the failures, keeps serving, and
# reaches b again when it is back (backoff, everything resent after a failed push); each sync
# is audited as `ariadne sync` is (bundle.export, bundle.import by "serve").
set -u
tmp="$AD_TEST_TMP/cli_fed_sync"
rm -rf "$tmp" && mkdir -p "$tmp"
. "$AD_TEST_DATA/lib.sh"
A=$ARIADNE
T=$tmp
unset ARIADNE_FED_KEY # each key beside its SQLite store
. "$AD_TEST_DATA/serve_lib.sh"
# within SECONDS CMD...: CMD succeeds within SECONDS (tried every 0.2 s)
within() {
  local secs=$1; shift
  local end=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || return 1
    sleep 0.2
  done
}
X() { local n=$1; shift; "$A" "$@" --db "sqlite:$T/$n.db"; }
series_has() { X "$1" series list | grep -q -- "$2"; }
# pdq_matches: how many entries a's platform key finds for i1's PDQ
pdq_matches() {
  curl -s -H "Authorization: Bearer $PK" -H 'Content-Type: application/json' \
    --data-binary "{\"hashes\":[{\"type\":\"pdq\",\"value\":\"$P1\",\"radius\":0}]}" \
    "$AURL/v1/match" | jq '.results[0].matches | length'
}
pdq_found() { [ "$(pdq_matches)" = 1 ]; }

declare -A PUB
for n in a b; do
  expect 0 X $n db init
  expect 0 X $n instance init --name $n --json
  PUB[$n]=$(jq -r .pubkey "$tmp/out")
done
expect 2 "$A" serve --listen 127.0.0.1:0 --db "sqlite:$T/a.db" --sync-every abc
says "sync-every takes a duration"
expect 2 "$A" serve --listen 127.0.0.1:0 --db "sqlite:$T/a.db" --sync-every 0
expect 2 "$A" serve --listen 127.0.0.1:0 --db "sqlite:$T/a.db" --fed-key "$T/a.db.fed.key"
says "goes with --sync-every"

# a: a hotline's list holds i1 by MD5 only, granted to a platform
/usr/bin/convert -seed 7 -size 160x120 plasma:fractal "$T/i1.png" || fail convert
/usr/bin/convert -seed 8 -size 160x120 plasma:fractal "$T/i2.png" || fail convert
"$A" hash --json "$T/i1.png" >"$T/i1.json" || fail "hash"
P1=$(jq -r .pdq "$T/i1.json")
expect 0 X a agency add hotline --kind hotline
expect 0 X a agency add platformco --kind platform
expect 0 X a user add plat --agency platformco --role platform --json
PK=$(jq -r .api_key "$tmp/out")
expect 0 X a user add adm --agency hotline --role admin --json
ADM=$(jq -r .api_key "$tmp/out")
jq -r .md5 "$T/i1.json" >"$T/known.txt"
expect 0 X a import --format hashlist --list known "$T/known.txt" --as adm
expect 0 X a list grant known platformco
# b: i1 ingested (every hash, PDQ too) in a series
mkdir -p "$T/seized b" && cp "$T/i1.png" "$T/seized b/"
expect 0 X b agency add BKA-DE --country DE
expect 0 X b ingest "$T/seized b" --case B-1 --agency BKA-DE --no-report -q
expect 0 X b series create Bridge --owner BKA-DE --contact bka@de.example
expect 0 X b series link Bridge "$(jq -r .sha256 "$T/i1.json")"

# b serves; a serves with --sync-every 1s before it trusts b: nothing to sync yet
expect 0 X b peer add a - --key "${PUB[a]}"
serve_start b --db "sqlite:$T/b.db"
BURL=$base BPID=$serve_pid
BPORT=${BURL##*:}
serve_start a --db "sqlite:$T/a.db" --sync-every 1s
AURL=$base APID=$serve_pid
grep -q "syncing with the peers every 1 s" "$T/a.err" || fail "no sync line: $(cat "$T/a.err")"
[ "$(pdq_matches)" = 0 ] || fail "i1's PDQ matched before a knew it"
# a trusts b: within a bounded wait, b's series is at a and i1's PDQ matches a's list entry
expect 0 X a peer add b "$BURL" --key "${PUB[b]}"
within 20 series_has a Bridge || fail "b's series did not reach a: $(cat "$T/a.err")"
within 10 pdq_found || fail "i1's PDQ (from b) does not match a's entry without a restart"
# a record made on b while both run reaches a; one made on a reaches b
expect 0 X b series create Tunnel --owner BKA-DE --contact tunnel@de.example
expect 0 X a agency add NCA-UK --country GB
expect 0 X a series create Canal --owner NCA-UK --contact canal@nca.example
within 20 series_has a Tunnel || fail "Tunnel did not reach a"
within 20 series_has b Canal || fail "Canal did not reach b"
# audited as `ariadne sync` is: the export and the import, by serve
expect 0 X a audit show --json
grep '"action":"bundle.export"' "$tmp/out" | grep -q '"who":"serve"' || fail "no bundle.export by serve"
grep '"action":"bundle.import"' "$tmp/out" | grep -q '"who":"serve"' || fail "no bundle.import by serve"

# owners merging two series (docs/federation.md "Merging two series"): a's Canal (NCA-UK) into
# b's Tunnel (BKA-DE): requested through a's API by NCA-UK (another agency is refused),
# consented on b by the CLI; carried by the syncs both ways
expect 0 X a user add ukinv --agency NCA-UK --role investigator --json
UK=$(jq -r .api_key "$tmp/out")
expect 0 X a user add hotinv --agency hotline --role investigator --json
HOT=$(jq -r .api_key "$tmp/out")
base=$AURL
req POST /v1/series/Canal/merge "$HOT" '{"into":"Tunnel"}'
problem 403
req POST /v1/series/Canal/merge "$UK" '{"into":"Tunnel"}'
want 200
[ "$(jq_ "d['merged']")" = False ] || fail "merged at once: $(cat "$T/body")"
req POST /v1/series/Canal/merge "$UK" '{"into":"Tunnel"}'
problem 409
expect 0 X a series show Canal --json
schema series-show "$tmp/out"
[ "$(jq -c '[.merges[0].agreed, .merges[0].into_consent, .merged_into]' "$tmp/out")" = '[false,null,null]' ] ||
  fail "the request: $(cat "$tmp/out")"
expect 0 X a series show Canal
has "merge requested: Canal into Tunnel (Canal: NCA-UK; Tunnel: awaited)"
within 20 eval 'X b series show Tunnel | grep -q "merge requested: Canal into Tunnel"' ||
  fail "the request did not reach b"
expect 0 X b series merge Canal Tunnel
has "series Canal merged into Tunnel"
expect 1 X b series merge Canal Tunnel
says "already"
within 20 eval 'X a series show Canal | grep -q "merged into: Tunnel"' ||
  fail "the consent did not reach a"
expect 0 X a series show Tunnel --json
schema series-show "$tmp/out"
[ "$(jq -r '.merged_from[0].name' "$tmp/out")" = Canal ] || fail "Tunnel names Canal: $(cat "$tmp/out")"
# the merged series' media is counted under the survivor; media show names the merge
S1=$(jq -r .sha256 "$T/i1.json")
expect 0 X a series link Canal "$S1"
expect 0 X a series show Tunnel --json
[ "$(jq -r .media "$tmp/out")" = 1 ] || fail "Tunnel does not count Canal's media: $(cat "$tmp/out")"
expect 0 X a media show "$S1" --json
schema media-show "$tmp/out"
[ "$(jq -r '.series[] | select(.name == "Canal") | .merged_into.name' "$tmp/out")" = Tunnel ] ||
  fail "media show: $(cat "$tmp/out")"
expect 0 X a media show "$S1"
has "(merged into Tunnel)"
expect 0 X a audit show --json
grep -q '"action":"series.merge"' "$tmp/out" || fail "no series.merge audit row"

# the status for admins: the last sync with b and the cursors (investigators: 403)
req GET /v1/fed/status "$UK"
problem 403
req GET /v1/fed/status "$ADM"
want 200
[ "$(jq -r '.sync.peers[0] | "\(.peer) \(.result) \(.failures)"' "$T/body")" = "b ok 0" ] ||
  fail "status: $(cat "$T/body")"
[ "$(jq '.sync.peers[0].last_ok != null and .sync.every == 1' "$T/body")" = true ] || fail "status: $(cat "$T/body")"
[ "$(jq '.instance.peers[0].received_seq > 0 and (.instance.peers[0].sent | length) == 1' "$T/body")" = true ] ||
  fail "cursors: $(cat "$T/body")"

# b stops: a logs the failures and keeps serving; b back on its port: a's news reach it
kill "$BPID"; wait "$BPID" 2>/dev/null
expect 0 X a series create Lock --owner NCA-UK --contact lock@nca.example
within 20 grep -q "sync b failed" "$T/a.err" || fail "no failure logged: $(cat "$T/a.err")"
curl -sf "$AURL/healthz" >/dev/null || fail "a stopped serving after a failed sync"
req GET /v1/fed/status "$ADM"
want 200
[ "$(jq '.sync.peers[0].failures >= 1 and (.sync.peers[0].result | test("connect"; "i"))' "$T/body")" = true ] ||
  fail "status after a failure: $(cat "$T/body")"
SERVE_LISTEN=127.0.0.1:$BPORT serve_start b --db "sqlite:$T/b.db"
within 30 series_has b Lock || fail "Lock did not reach b after it came back: $(cat "$T/a.err")"
expect 0 X a audit verify
expect 0 X b audit verify
# a stops promptly and cleanly (the sync thread with it)
kill "$APID"
for _ in $(seq 1 100); do kill -0 "$APID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$APID" 2>/dev/null && fail "a did not stop within 10 s"
wait "$APID"; [ $? = 0 ] || fail "a's exit status"
echo "cli_fed_sync: ok"
