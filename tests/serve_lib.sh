# tests/serve_lib.sh: starting `ariadne serve` in a shell test and calling it with curl.
# Source after lib.sh, with $A (the program) and $T (the scratch folder) set.
#   serve_start NAME ARGS...   starts a server (listen $SERVE_LISTEN, else 127.0.0.1:0), waits for its address:
#                              $base (http[s]://127.0.0.1:PORT), $serve_pid; stopped at exit
#   req METHOD PATH KEY [BODY] the status in $status, the body in $T/body, headers $T/headers;
#                              KEY "-" for none; BODY a JSON text (or @FILE for curl)
#   jq_ EXPR                   python3 evaluates EXPR on the body parsed as d
serve_pids=""
serve_stop_all() { for p in $serve_pids; do kill "$p" 2>/dev/null; done; }
trap serve_stop_all EXIT
serve_start() {
  local name=$1; shift
  "$A" serve --listen "${SERVE_LISTEN:-127.0.0.1:0}" --json "$@" >"$T/$name.out" 2>"$T/$name.err" &
  serve_pid=$!
  serve_pids="$serve_pids $serve_pid"
  local i
  for i in $(seq 1 100); do
    base=$(sed -n 's/.*"listening":"\([^"]*\)".*/\1/p' "$T/$name.out")
    [ -n "$base" ] && return 0
    kill -0 "$serve_pid" 2>/dev/null || { cat "$T/$name.err" >&2; fail "serve $name died"; }
    sleep 0.1
  done
  cat "$T/$name.err" >&2
  fail "serve $name did not say where it listens"
}
req() {
  local method=$1 path=$2 key=$3 body=${4:-}
  local args=(-s -o "$T/body" -D "$T/headers" -w '%{http_code}' -X "$method" --max-time 20)
  [ "$key" != "-" ] && args+=(-H "Authorization: Bearer $key")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  status=$(curl "${args[@]}" ${CURL_EXTRA:-} "$base$path")
}
jq_() { python3 -c "import json,sys; d=json.load(open('$T/body')); print($1)"; }
# want STATUS: the last answer had this status (else the body is shown)
want() { [ "$status" = "$1" ] || { cat "$T/body" >&2; echo >&2; fail "status $status, want $1"; }; }
# problem STATUS [FIELD]: the last answer is a problem document of that status (and field)
problem() {
  want "$1"
  grep -qi '^content-type: application/problem+json' "$T/headers" || fail "not problem+json"
  [ -z "${2:-}" ] || [ "$(jq_ "d.get('field')")" = "$2" ] || { cat "$T/body" >&2; fail "field is not $2"; }
}
