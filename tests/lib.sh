# tests/lib.sh: helpers the cli_*.sh tests source. A test sets $tmp (its scratch folder) first.
#   fail MSG...           stop the test with a message
#   expect CODE CMD...    run CMD, stdout in $tmp/out, stderr in $tmp/err; check its exit code
#   has TEXT / says TEXT  $tmp/out / $tmp/err contains TEXT

fail() { echo "FAIL: $*" >&2; exit 1; }
expect() {
  local want=$1; shift
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  [ "$got" = "$want" ] || { cat "$tmp/out" "$tmp/err" >&2; fail "exit $got (want $want): $*"; }
}
has() { grep -q -- "$1" "$tmp/out" || { cat "$tmp/out" >&2; fail "output lacks '$1'"; }; }
says() { grep -q -- "$1" "$tmp/err" || { cat "$tmp/err" >&2; fail "stderr lacks '$1'"; }; }
# schema NAME FILE [--lines]: FILE (a JSON document, or JSON Lines with --lines) is valid against
# docs/schemas/NAME.schema.json
schema() {
  local s="$AD_TEST_DATA/../docs/schemas/$1.schema.json"
  [ -f "$s" ] || fail "no schema $s"
  if [ "${3:-}" = "--lines" ]; then "$AD_TEST_DATA/check-json" --lines "$s" "$2" || fail "$2 does not match $1"
  else "$AD_TEST_DATA/check-json" "$s" "$2" || fail "$2 does not match $1"; fi
}
