#!/bin/bash
# cli_web.sh: `ariadne user passwd` (docs/web.md): a password read from standard input when it
# is not a terminal, its --json output against its schema, the Argon2id string stored (never the
# password), a platform user and a short password refused as usage errors, and a sign-in over
# HTTP with it (the cookie set), refused once the password changed.
set -u
. "$(dirname "$0")/lib.sh"
A=$ARIADNE
T=$AD_TEST_TMP/cli_web
rm -rf "$T" && mkdir -p "$T"
tmp=$T
. "$(dirname "$0")/serve_lib.sh"
export ARIADNE_DB="sqlite:$T/w.db"
expect 0 "$A" db init
expect 0 "$A" agency add "Unit A"
expect 0 "$A" agency add "Plat" --kind platform
expect 0 "$A" user add anna --agency "Unit A" --role investigator
expect 0 "$A" user add bot --agency Plat --role platform
echo "first password" >"$T/pw"
expect 0 "$A" user passwd anna --json <"$T/pw"
schema user-passwd "$T/out"
has '"password_set": *true'
python3 - "$T/w.db" <<'PY' || fail "the stored password is not an Argon2id string"
import sqlite3, sys
h = sqlite3.connect(sys.argv[1]).execute("select pw_hash from users where name='anna'").fetchone()[0]
assert h.startswith("$argon2id$") and "first password" not in h, h
PY
expect 2 "$A" user passwd bot <"$T/pw"
says "platform user has no password"
echo "short" | { "$A" user passwd anna >"$T/out" 2>"$T/err"; echo $? >"$T/rc"; }
[ "$(cat "$T/rc")" = 2 ] || fail "a short password: exit $(cat "$T/rc")"
says "8 to 1024 bytes"
expect 2 "$A" user passwd anna </dev/null
says "no password read"
expect 1 "$A" user passwd nobody <"$T/pw"
# the password opens a session over HTTP; a new password ends it and the old one is refused
serve_start s --access-log "$T/access.log"
req POST /v1/session - '{"name": "anna", "password": "first password"}'
[ "$status" = 201 ] || { cat "$T/body" >&2; fail "sign-in: $status"; }
grep -qi '^set-cookie: ariadne_session=as_[0-9a-f]*; Path=/; HttpOnly; SameSite=Strict' "$T/headers" ||
  fail "no session cookie"
cookie=$(sed -n 's/^[Ss]et-[Cc]ookie: \(ariadne_session=[^;]*\);.*/\1/p' "$T/headers" | tr -d '\r')
CURL_EXTRA="-b $cookie" req GET /v1/session -
[ "$status" = 200 ] || fail "the session: $status"
echo "second password" | "$A" user passwd anna >/dev/null || fail "passwd again"
CURL_EXTRA="-b $cookie" req GET /v1/session -
[ "$status" = 401 ] || fail "a new password did not end the session: $status"
req POST /v1/session - '{"name": "anna", "password": "first password"}'
[ "$status" = 401 ] || fail "the old password still works: $status"
echo "cli_web: ok"
