#!/bin/bash
# cli_openapi.sh: docs/openapi.json is a valid OpenAPI 3.1 document for a real validator
# (@redocly/cli, installed by scripts/install-deps in tests/openapi); that the server answers
# the very routes the file lists is test_server's t_openapi_routes.
set -u
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
redocly=$root/tests/openapi/node_modules/.bin/redocly
[ -x "$redocly" ] || fail "no $redocly: run scripts/install-deps (npm ci in tests/openapi)"
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1
out=$("$redocly" lint --config "$root/tests/openapi/redocly.yaml" "$root/docs/openapi.json" 2>&1)
rc=$?
[ $rc -eq 0 ] || { echo "$out" >&2; fail "docs/openapi.json does not validate"; }
echo "$out" | grep -q "valid" || { echo "$out" >&2; fail "the validator said nothing of validity"; }
# a broken copy must fail: the check can fail
bad=$(mktemp -d)/openapi.json
sed 's/"openapi": *"3.1.[0-9]*"/"openapi": "3.1.0", "paths": 7/' "$root/docs/openapi.json" >"$bad"
"$redocly" lint --config "$root/tests/openapi/redocly.yaml" "$bad" >/dev/null 2>&1 &&
  fail "a broken OpenAPI file passed the validator"
rm -rf "$(dirname "$bad")"
echo "cli_openapi: ok"
