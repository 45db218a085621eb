#!/usr/bin/env bash
# cli_serve.sh: `ariadne serve` as an operator runs it, on SQLite: health and metrics, keys
# (missing, wrong, revoked, expired; failed attempts limited and kept out of the audit chain),
# the admins' routes scoped to their agency, the auditors' routes, reads audited in batches
# whose digests match the access log's lines, TLS, and a graceful stop on SIGTERM.
set -u
A=${ARIADNE:?}
T=$AD_TEST_TMP/cli_serve
rm -rf "$T" && mkdir -p "$T"
unset ARIADNE_DB ARIADNE_USER
tmp=$T
. "$AD_TEST_DATA/lib.sh"
. "$AD_TEST_DATA/serve_lib.sh"
DB="sqlite:$T/s.db"
key() { "$A" user add "$1" --agency "$2" --role "$3" --json --db "$DB" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])'; }
expect 0 "$A" db init --db "$DB"
expect 0 "$A" agency add Hub --db "$DB"
expect 0 "$A" agency add Other --db "$DB"
ADM=$(key adm Hub admin) && AUD=$(key aud Hub auditor) && INV=$(key inv Hub investigator) &&
  ADM2=$(key adm2 Other admin) || fail "user add"

serve_start s1 --db "$DB" --access-log "$T/access.log" --threads 2
req GET /healthz -; want 200
[ "$(jq_ "d['status']")" = ok ] || fail "healthz"
req GET /metrics -; want 200
grep -q '^ariadne_http_requests_total' "$T/body" || fail "metrics lack the request counter"

# keys
req GET /v1/me -; problem 401
grep -qi '^www-authenticate: Bearer' "$T/headers" || fail "no challenge"
req GET /v1/me "ak_00000000000000000000000000000000_$(printf '%064d' 0)"; problem 401
req GET /v1/me "$INV"; want 200
[ "$(jq_ "d['role']")" = investigator ] || fail "me: role"
[ "$(jq_ "d['agency']['name']")" = Hub ] || fail "me: agency"

# admins: users of their own agency only
req GET /v1/admin/users "$ADM"; want 200
[ "$(jq_ "sorted(u['name'] for u in d['users'])")" = "['adm', 'aud', 'inv']" ] ||
  fail "an admin sees other agencies' users: $(cat "$T/body")"
req POST /v1/admin/users "$ADM" '{"name":"plat","role":"platform"}'; want 201
PLAT=$(jq_ "d['api_key']")
req GET /v1/me "$PLAT"; want 200
req POST /v1/admin/users "$ADM" '{"name":"plat","role":"platform"}'; problem 409 name
req POST /v1/admin/users "$ADM" '{"name":"x","role":"king"}'; problem 422 /role
req POST /v1/admin/users "$ADM" '{"name":"x","role":"admin","agency":"Other"}'; problem 403
req POST /v1/admin/users "$ADM" '{"name":"x","role":"admin","extra":1}'; problem 422 /extra
req POST /v1/admin/users "$ADM" '{"name":'; problem 400
req POST /v1/admin/users/plat/revoke "$ADM2"; problem 403
req POST /v1/admin/users/plat/revoke "$INV"; problem 403
req POST /v1/admin/users/nobody/revoke "$ADM"; problem 404 user
req POST /v1/admin/users/plat/revoke "$ADM"; want 200
req GET /v1/me "$PLAT"; problem 401
req POST /v1/admin/users "$ADM" '{"name":"temp","role":"analyst","expires":"2099-01-01"}'; want 201
TEMP=$(jq_ "d['api_key']")
[ "$(jq_ "d['expires']")" = 2099-01-01T23:59:59Z ] || fail "expires: $(cat "$T/body")"
req GET /v1/me "$TEMP"; want 200
req POST /v1/admin/users/temp/expires "$ADM" '{"expires":"yesterday"}'; problem 422 /expires
req POST /v1/admin/users/temp/expires "$ADM" '{"expires":"2020-01-01"}'; want 200
req GET /v1/me "$TEMP"; problem 401

# a key revoked by another process (the command line) stops working within the key cache's
# second (docs/server.md)
req POST /v1/admin/users "$ADM" '{"name":"short","role":"analyst"}'; want 201
SHORT=$(jq_ "d['api_key']")
req GET /v1/me "$SHORT"; want 200
expect 0 "$A" user revoke short --db "$DB"
gone=0
for i in $(seq 1 30); do
  req GET /v1/me "$SHORT"
  [ "$status" = 401 ] && { gone=1; break; }
  sleep 0.1
done
[ $gone = 1 ] || fail "a key revoked on the command line still works after 3 s"

# auditors
req GET /v1/audit "$INV"; problem 403
req GET '/v1/audit?limit=0' "$AUD"; problem 422 limit
req GET '/v1/audit?lines=3' "$AUD"; problem 400
req GET '/v1/audit?limit=3' "$AUD"; want 200
[ "$(jq_ "len(d['rows'])")" = 3 ] || fail "audit page size"
next=$(jq_ "d['next']")
req GET "/v1/audit?after=$next&limit=2" "$AUD"; want 200
[ "$(jq_ "d['rows'][0]['seq']")" = $((next + 1)) ] || fail "audit pages do not follow"
# newest first: paged backwards with before; newer leads back; the same rows either way
req GET '/v1/audit?order=desc&limit=3' "$AUD"; want 200
top=$(jq_ "d['rows'][0]['seq']")
[ "$(jq_ "[r['seq'] for r in d['rows']] == [$top, $top - 1, $top - 2] and d['newer'] is None")" = True ] ||
  fail "audit newest first: $(cat "$T/body")"
older=$(jq_ "d['next']")
[ "$older" = $((top - 2)) ] || fail "audit desc next: $older"
req GET "/v1/audit?order=desc&before=$older&limit=3" "$AUD"; want 200
[ "$(jq_ "d['rows'][0]['seq']")" = $((top - 3)) ] || fail "audit desc pages do not follow"
# newer: the page of the rows older+0..2 (the row after them, or 0 when none: reads add rows)
[ "$(jq_ "d['newer'] == 0 or d['newer'] == $older + 3")" = True ] ||
  fail "the page after the newest leads back to it: $(cat "$T/body")"
req GET "/v1/audit?order=desc&before=2&limit=3" "$AUD"; want 200
[ "$(jq_ "[r['seq'] for r in d['rows']] == [1] and d['next'] is None")" = True ] ||
  fail "audit desc end: $(cat "$T/body")"
[ "$(jq_ "d['newer']")" = 5 ] || fail "audit desc newer: $(cat "$T/body")"
req GET '/v1/audit?order=desc&after=3' "$AUD"; problem 422 after
req GET '/v1/audit?before=3' "$AUD"; problem 422 before
req GET '/v1/audit?order=up' "$AUD"; problem 422 order
req GET /v1/audit/verify "$AUD"; want 200
[ "$(jq_ "d['ok']")" = True ] || fail "audit verify: $(cat "$T/body")"

# exports, streamed: what the caller chose, the same bytes as the command line's
printf '%s\n' d41d8cd98f00b204e9800998ecf8427e 0cc175b9c0f1b6a831c399e269772661 >"$T/md5s.txt"
expect 0 "$A" import "$T/md5s.txt" --list baseline --db "$DB"
expect 0 "$A" export --format hashlist --hash md5 --list baseline -o "$T/cli-export.txt" --db "$DB"
req GET '/v1/export?format=hashlist&hash=md5&list=baseline' "$INV"; want 200
cmp -s "$T/body" "$T/cli-export.txt" || { diff "$T/body" "$T/cli-export.txt" >&2; fail "API export differs"; }
grep -qi '^content-type: text/plain' "$T/headers" || fail "export type"
req GET '/v1/export?format=vics&list=baseline' "$INV"; want 200
python3 -c "import json; json.load(open('$T/body'))" || fail "the VICS export is not JSON"
req GET '/v1/export?format=hashlist' "$INV"; problem 422 list
req GET '/v1/export?format=hashlist&list=nope' "$INV"; problem 404 list
req GET '/v1/export?format=xml&list=baseline' "$INV"; problem 422 format
req GET '/v1/export?format=hashlist&all=true' "$INV"; problem 403 all
req GET '/v1/export?format=hashlist&all=maybe' "$ADM"; problem 422 all
req GET '/v1/export?format=hashlist&all=true&hash=md5' "$ADM"; want 200
[ "$(wc -l <"$T/body")" = 2 ] || fail "export all"
req GET '/v1/export?format=hashlist&list=baseline' "$AUD"; problem 403

# imports: a file as the body, one transaction, the list the caller's agency's
printf '%s\n' 900150983cd24fb0d6963f7d28e17f72 >"$T/more.txt"
CURL_EXTRA="-H Content-Type:application/octet-stream" req POST '/v1/import?list=more&format=hashlist' "$INV" "@$T/more.txt"
want 201
[ "$(jq_ "(d['records'], d['new'], d['list'])")" = "(1, 1, 'more')" ] || fail "import: $(cat "$T/body")"
req GET /v1/admin/lists/more "$ADM"; want 200 # the importer's agency's list
req GET /v1/admin/lists/more "$ADM2"; problem 403
# the list of lists: my agency's only, with entries and grants; a new list; a name taken
req GET /v1/admin/lists "$ADM"; want 200
[ "$(jq_ "[(l['name'], l['entries']) for l in d['lists'] if l['name'] == 'more']")" = "[('more', 1)]" ] ||
  fail "list of lists: $(cat "$T/body")"
req GET /v1/admin/lists "$ADM2"; want 200
[ "$(jq_ "'more' in [l['name'] for l in d['lists']]")" = False ] || fail "another agency's list shown"
req POST /v1/admin/lists "$ADM" '{"name":"fresh","description":"new"}'; want 201
[ "$(jq_ "(d['name'], d['entries'], d['grants'])")" = "('fresh', 0, [])" ] || fail "list create: $(cat "$T/body")"
req POST /v1/admin/lists "$ADM2" '{"name":"fresh"}'; problem 409
req POST /v1/admin/lists "$INV" '{"name":"other"}'; problem 403
req POST /v1/admin/lists "$ADM" '{"name":""}'; problem 422
req GET '/v1/export?format=hashlist&hash=md5&list=more' "$INV"; want 200
grep -q 900150983cd24fb0d6963f7d28e17f72 "$T/body" || fail "the imported list is not exported"
printf 'not a hash\n' >"$T/bad.txt"
CURL_EXTRA="-H Content-Type:application/octet-stream" req POST '/v1/import?list=bad' "$INV" "@$T/bad.txt"
problem 400
CURL_EXTRA="-H Content-Type:application/octet-stream" req POST '/v1/import?list=bad&skip_bad=true' "$INV" "@$T/bad.txt"
want 201
[ "$(jq_ "d['bad']")" = 1 ] || fail "skip_bad: $(cat "$T/body")"
CURL_EXTRA="-H Content-Type:application/octet-stream" req POST '/v1/import' "$INV" "@$T/more.txt"
problem 422 list
CURL_EXTRA="-H Content-Type:application/octet-stream" req POST '/v1/import?list=x' "$AUD" "@$T/more.txt"
problem 403

# failed attempts: limited by address, and never rows of the audit chain
"$A" audit verify --db "$DB" --json >"$T/v0" || fail "verify"
rows0=$(python3 -c "import json; print(json.load(open('$T/v0'))['rows'])")
limited=0
for i in $(seq 1 15); do
  req GET /v1/me "ak_0000000000000000000000000000000${i: -1}_$(printf '%064d' "$i")"
  [ "$status" = 429 ] && limited=1
done
[ $limited = 1 ] || fail "15 wrong keys in a row were never refused with 429"
grep -qi '^retry-after:' "$T/headers" || fail "429 without Retry-After"
sleep 1.5 # the batched reads' rows of the requests above land
"$A" audit verify --db "$DB" --json >"$T/v1" || fail "verify"
"$A" audit show --json --db "$DB" --after "$rows0" >"$T/rows"
grep -q '"action":"user.auth' "$T/rows" && { cat "$T/rows" >&2; fail "failed attempts reached the audit chain"; }

# reads in batches: one row per (who, action) a second, the digest of its access-log lines
req GET '/v1/audit?limit=1' "$AUD"; want 200
req GET '/v1/audit?limit=1' "$AUD"; want 200
sleep 1.5
"$A" audit show --json --db "$DB" >"$T/rows"
python3 - "$T/rows" "$T/access.log" <<'PY' || fail "batched read rows do not match the access log"
import hashlib, json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
batches = [r for r in rows if r["action"] == "audit.show" and "reads=" in (r["detail"] or "")]
assert batches, "no batched audit.show row"
lines = [l for l in open(sys.argv[2], encoding="utf-8", errors="surrogateescape")
         if '"read":"audit.show"' in l]
# every line is in exactly one batch: the batches' digests over their lines, in order
total = sum(int(r["detail"].split("reads=")[1].split()[0]) for r in batches)
assert total == len(lines), (total, len(lines))
i = 0
for r in batches:
    n = int(r["detail"].split("reads=")[1].split()[0])
    want = r["detail"].split("lines_sha256=")[1].split()[0]
    got = hashlib.sha256("".join(lines[i:i + n]).encode("utf-8", "surrogateescape")).hexdigest()
    assert got == want, (r, got)
    i += n
print("batches:", len(batches), "reads:", total)
PY

# a graceful stop on SIGTERM: exit 0, the log flushed
kill -TERM "$serve_pid"
wait "$serve_pid"; rc=$?
[ $rc = 0 ] || { cat "$T/s1.err" >&2; fail "serve exited $rc on SIGTERM"; }
grep -q stopped "$T/s1.err" || fail "no 'stopped'"
expect 0 "$A" audit verify --db "$DB"

# TLS (GnuTLS through libmicrohttpd), with a certificate made for 127.0.0.1
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 || fail "openssl"
serve_start s2 --db "$DB" --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" --access-log "$T/a2.log"
case $base in https://*) ;; *) fail "TLS server says $base" ;; esac
CURL_EXTRA="--cacert $T/cert.pem" req GET /v1/me "$INV"; want 200
plain=${base/https:/http:}
curl -s -o /dev/null --max-time 5 "$plain/healthz" && fail "plain HTTP answered on the TLS port"
expect 1 "$A" serve --db "$DB" --listen 127.0.0.1:0 --tls-cert "$T/nope.pem" --tls-key "$T/key.pem"
expect 2 "$A" serve --db "$DB" --listen 127.0.0.1:0 --tls-cert "$T/cert.pem"
echo "cli_serve: ok"
