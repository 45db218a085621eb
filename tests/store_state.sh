# tests/store_state.sh: what a store holds, as sorted text, so that two stores can be compared
# (a run killed and resumed against an uninterrupted one, processes at once against one after
# another). Sourced by cli_faults.sh and cli_concurrency.sh after lib.sh; needs $A (the program),
# sqlite3 and psql.
#   sql URL QUERY           runs QUERY on a sqlite:PATH or postgresql:// store, rows as a|b|c
#   state URL [CASE...]     media (digests), sightings, job items, jobs, lists and their entries,
#                           series links, votes, and the report's class of every file of each
#                           CASE (agency Hub): one sorted line each, on stdout
#   same_state URL1 URL2 [CASE...]   fails, showing the difference, unless the states are equal
# With STATE_ORDER_FREE=1 what depends on the order of the writers is left out: how each item
# matched (a file recorded first is new, its copy after it matches by SHA-256) and the classes.

sql() {
  case $1 in
    postgres*) psql "$1" -qAt -F'|' -v ON_ERROR_STOP=1 -c "$2" ;;
    *) sqlite3 -bail -separator '|' "${1#sqlite:}" "$2" ;;
  esac
}

# hex of a blob column, per back end
hx() { case $1 in postgres*) echo "encode($2, 'hex')" ;; *) echo "lower(hex($2))" ;; esac; }

state() {
  local url=$1 c f
  shift
  {
    sql "$url" "SELECT 'media', count(*), count(DISTINCT sha256), count(sha256), count(md5)
                FROM media" &&
    sql "$url" "SELECT 'content', $(hx "$url" sha256), $(hx "$url" md5), size, mime FROM media" &&
    sql "$url" "SELECT 'sighting', COALESCE(c.number, ''), COALESCE(s.exhibit, ''), s.path,
                  COALESCE(s.parent_path, ''), COALESCE(s.inner_path, ''), s.size,
                  $(hx "$url" m.sha256)
                FROM sighting s JOIN media m ON m.id = s.media_id
                LEFT JOIN cases c ON c.id = s.case_id" &&
    sql "$url" "SELECT 'item', COALESCE(c.number, ''), i.key, i.path, COALESCE(i.error_code, ''),
                  $( [ "${STATE_ORDER_FREE:-0}" = 1 ] && echo "''" || echo "COALESCE(i.match_kind, '')"),
                  CASE WHEN i.sighting_id IS NULL THEN 0 ELSE 1 END
                FROM ingest_item i JOIN ingest_job j ON j.id = i.job_id
                LEFT JOIN cases c ON c.id = j.case_id" &&
    sql "$url" "SELECT 'job', COALESCE(c.number, ''), j.status, j.roots
                FROM ingest_job j LEFT JOIN cases c ON c.id = j.case_id" &&
    sql "$url" "SELECT 'list', l.name, count(e.media_id) FROM hash_list l
                LEFT JOIN list_entry e ON e.list_id = l.id GROUP BY l.name" &&
    sql "$url" "SELECT 'series', s.name, count(sm.media_id) FROM series s
                LEFT JOIN series_media sm ON sm.series_id = s.id GROUP BY s.name" &&
    sql "$url" "SELECT 'vote', v.scheme, v.code, count(*) FROM vote v GROUP BY v.scheme, v.code" &&
    sql "$url" "SELECT 'person', kind, code, identified FROM person"
  } || { echo "state of $url: query failed" >&2; return 1; }
  [ "${STATE_ORDER_FREE:-0}" = 1 ] && return 0
  for c in "$@"; do
    f=$(mktemp "${TMPDIR:-/tmp}/state.XXXXXX") || return 1
    "$A" report --case "$c" --agency Hub --db "$url" --out "$f.d" --json >"$f" 2>/dev/null ||
      { rm -rf "$f" "$f.d"; echo "state of $url: report of $c failed" >&2; return 1; }
    python3 - "$f" "$c" <<'PY' || { rm -rf "$f" "$f.d"; return 1; }
import json, sys
d = json.load(open(sys.argv[1]))
print("report|%s|total|%d|%s" % (sys.argv[2], d["total"], sorted(d["counts"].items())))
for x in d["files"]:
    print("report|%s|%s|%s" % (sys.argv[2], x["path"], x["class"]))
PY
    rm -rf "$f" "$f.d"
  done
}

same_state() {
  local a=$1 b=$2
  shift 2
  local sa sb
  sa=$(state "$a" "$@" | LC_ALL=C sort) || fail "cannot read the state of $a"
  sb=$(state "$b" "$@" | LC_ALL=C sort) || fail "cannot read the state of $b"
  [ "$sa" = "$sb" ] || {
    diff <(echo "$sa") <(echo "$sb") | head -20 >&2
    fail "$b differs from $a"
  }
}
