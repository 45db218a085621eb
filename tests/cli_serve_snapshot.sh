#!/bin/bash
# cli_serve_snapshot.sh: `ariadne serve --snapshot FILE`, end to end with the real program and
# curl over several starts on one SQLite store: the first start loads from the store and writes
# the snapshot; a stop writes it again; a start after writes by the CLI loads the snapshot, applies
# the index log since it and matches the new entries; a damaged, cut, foreign or missing snapshot
# is said, not used (a load from the store instead, with the same answers) and written again.
set -u
tmp=$(mktemp -d "${AD_TEST_TMP:-/tmp}/cli_serve_snapshot.XXXXXX")
. "$AD_TEST_DATA/lib.sh"
A=$ARIADNE
T=$tmp
pid=""
cleanup() {
  [ -n "$pid" ] && { kill -9 "$pid" && wait "$pid"; } 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# start DB: a server on a free port with the snapshot $T/live.snap; its URL in $url, its
# standard error in $T/err.N (N counts the starts)
starts=0
start() {
  starts=$((starts + 1))
  log=$T/err.$starts
  "$A" serve --db "$1" --listen 127.0.0.1:0 --json --access-log "$T/access.log" \
    --snapshot "$T/live.snap" >"$T/out.$starts" 2>"$log" &
  pid=$!
  url=""
  for _ in $(seq 1 200); do
    url=$(jq -r '.listening // empty' "$T/out.$starts" 2>/dev/null | head -1)
    [ -n "$url" ] && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; fail "serve did not start"; }
    sleep 0.05
  done
  fail "serve printed no address"
}
stop() { # SIGTERM, and the stop's snapshot
  kill -TERM "$pid" && wait "$pid"
  pid=""
  grep -q "snapshot $T/live.snap written" "$log" || { cat "$log" >&2; fail "no snapshot at the stop"; }
}
says() { grep -q -- "$1" "$log" || { cat "$log" >&2; fail "start $starts does not say '$1'"; }; }
# found HASH-TYPE VALUE WANT: the platform's match of one hash finds WANT entries
found() {
  printf '{"hashes": [{"type": "%s", "value": "%s"}]}' "$1" "$2" >"$T/m.json"
  local n
  n=$(curl -s -H "Authorization: Bearer $PK" -H "Content-Type: application/json" \
    --data-binary "@$T/m.json" "$url/v1/match" | jq '[.results[].matches | length] | add')
  [ "$n" = "$3" ] || fail "start $starts: $1 $2 matched $n entries, want $3"
}

DB=sqlite:$T/s.db
expect 0 "$A" db init --db "$DB"
expect 0 "$A" agency add hotline --kind hotline --db "$DB"
expect 0 "$A" agency add platformco --kind platform --db "$DB"
expect 0 "$A" user add plat --agency platformco --role platform --db "$DB" --json
PK=$(jq -r .api_key "$T/out")
expect 0 "$A" user add adm --agency hotline --role admin --db "$DB"
for i in 1 2 3; do
  /usr/bin/convert -seed $i -size 96x96 plasma:fractal "$T/i$i.png" || fail convert
  "$A" hash --json "$T/i$i.png" >"$T/i$i.json" || fail "hash i$i"
done
h() { jq -r ".$2" "$T/$1.json"; }
h i1 md5 >"$T/l1.txt"
expect 0 "$A" import --format hashlist --list known "$T/l1.txt" --db "$DB" --as adm
expect 0 "$A" list grant known platformco --db "$DB"

# 1: no snapshot yet: from the store, then written
start "$DB"
says "no snapshot $T/live.snap yet: loading from the store"
says "live index loaded in "
says "snapshot $T/live.snap written"
found md5 "$(h i1 md5)" 1
found md5 "$(h i2 md5)" 0
stop

# 2: a write while no server runs, then a start from the snapshot and the log since it
echo "pdq:$(h i2 pdq)" >"$T/l2.txt"
expect 0 "$A" import --format hashlist --list known "$T/l2.txt" --db "$DB" --as adm
start "$DB"
says "live index loaded from snapshot $T/live.snap"
says "index log rows applied since the snapshot"
found md5 "$(h i1 md5)" 1
found sha256 "$(h i2 sha256)" 0 # listed by its PDQ alone
found pdq "$(h i2 pdq)" 1
# a write while it runs (followed), then a kill: no snapshot at the stop, the old one is used
h i3 sha256 >"$T/l3.txt"
expect 0 "$A" import --format hashlist --list known "$T/l3.txt" --db "$DB" --as adm
sleep 1
found sha256 "$(h i3 sha256)" 1
kill -9 "$pid" && wait "$pid" 2>/dev/null
pid=""
start "$DB"
says "live index loaded from snapshot $T/live.snap"
found sha256 "$(h i3 sha256)" 1
found md5 "$(h i1 md5)" 1
stop

# 3: refused snapshots: the reason said, loaded from the store, the same answers, written again
refuse() { # WHAT REASON
  start "$DB"
  says "snapshot not used: .*$2.*: loading from the store"
  says "live index loaded in "
  found md5 "$(h i1 md5)" 1
  found sha256 "$(h i3 sha256)" 1
  found pdq "$(h i2 pdq)" 1
  stop
  start "$DB"
  says "live index loaded from snapshot $T/live.snap"
  stop
}
size=$(stat -c %s "$T/live.snap")
printf '\x5a' | dd of="$T/live.snap" bs=1 seek=$((size - 300)) conv=notrunc status=none
refuse damaged "checksum"
truncate -s -100 "$T/live.snap"
refuse cut "cut short"
echo "not a snapshot" >"$T/live.snap"
refuse foreign-file "not a live index snapshot"
# another store's snapshot (a server of another store writes it over ours)
DB2=sqlite:$T/other.db
expect 0 "$A" db init --db "$DB2"
start "$DB2"
says "snapshot $T/live.snap written"
stop
refuse foreign "another store"
echo "ok"
