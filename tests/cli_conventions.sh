#!/usr/bin/env bash
# cli_conventions.sh: the conventions every command follows (docs/cli.md): option syntax
# (--opt=value, long forms of short options, common options before or after the command), bad
# numbers and unknown options as usage errors naming the option, clear errors for store URLs,
# `series link` of unknown hashes, and the --json output of the record commands, match and vpdq
# checked against docs/schemas.
set -u
tmp=$AD_TEST_TMP/cli_conventions
rm -rf "$tmp" && mkdir -p "$tmp"
unset ARIADNE_DB ARIADNE_USER
. "$AD_TEST_DATA/lib.sh"
A=$ARIADNE
# lacks TEXT: stderr does not contain TEXT
lacks() { ! grep -q -- "$1" "$tmp/err" || { cat "$tmp/err" >&2; fail "stderr shows '$1'"; }; }
# json NAME [--lines]: $tmp/out matches docs/schemas/NAME.schema.json
json() { cp "$tmp/out" "$tmp/$1.json"; schema "$1" "$tmp/$1.json" "${2:-}"; }

db=$tmp/a.db
# --- option syntax: --opt=value, common options before the command, between it and its
# sub-command, or after
expect 0 "$A" --db="$db" db init --json
json db-init
expect 0 "$A" --db "$db" agency add "Police A" --country=FR --json
json agency-add
expect 0 "$A" agency --db "$db" add Hub --kind=hub
expect 0 "$A" --json agency list --db="$db"
json agency-list --lines
has '"name":"Police A","country":"FR"'
has '"kind":"hub"'
# given twice, the later one counts (an alias `ariadne --db prod.db` can be overridden)
expect 0 "$A" --db "$tmp/nowhere/x.db" agency list --db "$db"
has "Hub"
expect 0 "$A" --as auditor-7 --db "$db" agency add "Unit C"
expect 0 "$A" audit show --db "$db" --json
has "\"who\":\"auditor-7 (os:$(id -un))\""
expect 2 "$A" agency list --db
says "needs a value"
expect 2 "$A" --db
says "needs a value"
expect 2 "$A" agency list --json=yes --db "$db"
says "json takes no value"
expect 2 "$A" agency list --bogus=1 --db "$db"
says "unknown option --bogus"
expect 2 "$A" hash --bogus x
says "unknown option --bogus"
expect 2 "$A" hash --json=1 x
says "json takes no value"
expect 2 "$A" vpdq --resize
says "resize needs a value"

# --- numbers: checked, out of range or not a number is a usage error naming the option
for v in abc 3x -1 ""; do
  expect 2 "$A" audit show --db "$db" --limit "$v"
  says "limit takes a whole number"
done
expect 0 "$A" audit show --db "$db" --limit=2 --json
[ "$(wc -l <"$tmp/out")" = 2 ] || fail "--limit=2"
printf '%064d\n' 0 >"$tmp/h.txt"
expect 2 "$A" match --radius abc "$tmp/h.txt" "$tmp/h.txt"
says "radius takes a whole number from 0 to 64, not 'abc'"
expect 2 "$A" match --radius=65 "$tmp/h.txt" "$tmp/h.txt"
says "radius"
expect 2 "$A" match --jobs 0 "$tmp/h.txt" "$tmp/h.txt"
says "jobs"
expect 2 "$A" hash -j 2x "$tmp/h.txt"
says "jobs takes a whole number"
expect 2 "$A" hash --max-pixels=-5 "$tmp/h.txt"
says "max-pixels takes a whole number"
expect 2 "$A" vpdq --seconds-per-hash=1s "$tmp/h.txt"
says "seconds-per-hash takes a number"
expect 2 "$A" vpdq --jobs=x "$tmp/h.txt"
says "jobs"
expect 0 "$A" case open C-1 --agency "Police A" --db "$db"
expect 2 "$A" ingest "$tmp" --case C-1 --agency "Police A" --db "$db" --radius 3x
says "radius takes a whole number"
expect 2 "$A" ingest "$tmp" --case C-1 --agency "Police A" --db "$db" --jobs=many
says "jobs takes a whole number"
# long and short forms are one option
expect 0 "$A" hash --jobs=1 --json "$tmp/h.txt"
expect 0 "$A" hash -j 1 -- "$tmp/h.txt"

# --- store URLs: each problem said as such; a URL Ariadne cannot use is a usage error (2),
# a store it cannot open a failure (1)
expect 2 "$A" agency list --db mysql://127.0.0.1/x
says "unsupported database URL scheme 'mysql:'"
expect 2 "$A" db init --db "sqlite3:$tmp/b.db"
says "unsupported database URL scheme 'sqlite3:'"
[ ! -e "sqlite3:$tmp/b.db" ] && [ ! -e "$tmp/b.db" ] || fail "sqlite3: URL created a file"
expect 2 "$A" agency list --db sqlite:
says "names no file"
expect 2 "$A" agency list --db 'postgresql://u:s3cret@[::1/x'
says "malformed PostgreSQL URL"
lacks s3cret
expect 1 "$A" db init --db "sqlite:$tmp/no/such/folder/a.db"
says "folder $tmp/no/such/folder does not exist"
expect 1 "$A" agency list --db "$tmp/none.db"
says "no such database file (run 'ariadne db init'"
: >"$tmp/empty.db"
expect 1 "$A" agency list --db "$tmp/empty.db"
says "database not initialised (run 'ariadne db init')"
echo "not a database, just text" >"$tmp/text.db"
expect 1 "$A" agency list --db "$tmp/text.db"
says "is not an SQLite database file"
expect 1 "$A" agency list --db "$tmp"
says "is a folder, not a database file"
expect 1 "$A" agency list --db /dev/null
says "not a regular file"
expect 1 "$A" agency list --db 'postgresql://u:s3cret@127.0.0.1:1/x'
says "cannot connect to PostgreSQL"
lacks s3cret
if [ -n "${AD_TEST_PG:-}" ]; then
  pgdb="ad_cli_conventions_$$"
  psql "$AD_TEST_PG/postgres" -qc "CREATE DATABASE $pgdb" || fail "createdb"
  trap 'psql "$AD_TEST_PG/postgres" -qc "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1' EXIT
  expect 1 "$A" agency list --db "$AD_TEST_PG/$pgdb"
  says "database not initialised (run 'ariadne db init')"
  expect 0 "$A" db init --db "$AD_TEST_PG/$pgdb" --json
  json db-init
  has '"backend":"postgresql"'
  expect 1 "$A" agency list --db "$AD_TEST_PG/${pgdb}_none"
  says "cannot connect to PostgreSQL"
fi
# permissions, as an ordinary user (root reads and writes anything)
as_user=()
if [ "$(id -u)" = 0 ]; then
  command -v setpriv >/dev/null && as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
if [ "$(id -u)" != 0 ] || [ ${#as_user[@]} -gt 0 ]; then
  p=$tmp/perm && mkdir -p "$p" && cp "$db" "$p/a.db" && chmod 777 "$p" && chmod 644 "$p/a.db"
  [ "$(id -u)" != 0 ] && chmod 444 "$p/a.db"
  expect 1 "${as_user[@]}" "$A" agency list --db "$p/a.db"
  says "cannot write the database file"
  chmod 000 "$p/a.db"
  expect 1 "${as_user[@]}" "$A" agency list --db "$p/a.db"
  says "cannot read the database file"
  chmod 755 "$p"
  expect 1 "${as_user[@]}" "$A" db init --db "$p/new.db"
  says "no permission to write in folder"
  chmod 700 "$p"
else
  echo "cli_conventions: running as root without setpriv: permission cases skipped" >&2
fi

# --- series link: a hash the store does not hold is an error unless --create records it
MD5=c74b85d5c8ad19aa21a24dfd8e2769c8
PDQ=f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22
expect 0 "$A" series create "Blue Room" --owner "Police A" --contact "vid@a.example" --db "$db" --json
json series-create
expect 1 "$A" series link "Blue Room" $MD5 --db "$db"
says "$MD5 is not in the store (--create records it)"
expect 1 "$A" series link "Blue Room" pdq:$PDQ --db "$db"
says "is not in the store"
expect 1 "$A" media show $MD5 --db "$db"
expect 0 "$A" series link "Blue Room" $MD5 pdq:$PDQ --create --db "$db" --json
json series-link
has '"linked":2'
expect 0 "$A" series link "Blue Room" $MD5 --db "$db"
has "1 media linked"
# all or nothing: one unknown hash links none of them
expect 1 "$A" series link "Blue Room" pdq:$PDQ 0123456789abcdef0123456789abcdef --db "$db"
# undo of a link: an unlink record; the media leaves the series, once; linking again counts
expect 0 "$A" series unlink --help
has "series unlink SERIES HASH"
expect 2 "$A" series unlink "Blue Room" --db "$db"
expect 0 "$A" series unlink "Blue Room" $MD5 --db "$db" --json
json series-unlink
expect 1 "$A" series unlink "Blue Room" $MD5 --db "$db"
says "is not in series"
expect 0 "$A" series show "Blue Room" --json --db "$db"
has '"media":1,'
expect 0 "$A" media show $MD5 --json --db "$db"
! grep -q '"Blue Room"' "$tmp/out" || fail "an unlinked media still shows its series"
expect 0 "$A" series link "Blue Room" $MD5 --db "$db" --json
has "\"new\":\\[\"$MD5\"\\]"
expect 0 "$A" series unlink "Blue Room" $MD5 --db "$db"
has "unlinked"
expect 0 "$A" series link "Blue Room" $MD5 --db "$db"

# --- the --json output of the record commands against their schemas
D=(--db "$db")
expect 0 "$A" series list --json "${D[@]}"
json series-list --lines
expect 0 "$A" victim add V-1 --series "Blue Room" --json "${D[@]}"
json person-add
expect 0 "$A" offender add O-1 --series "Blue Room" --json "${D[@]}"
json person-add
expect 0 "$A" victim identify V-1 --agency Hub --country DE --json "${D[@]}"
json person-identify
expect 0 "$A" series show "Blue Room" --json "${D[@]}"
json series-show
has '"victim_list":\[{"code":"V-1","status":"identified"'
expect 0 "$A" user add alice --agency "Police A" --role investigator --json "${D[@]}"
json user-add
expect 0 "$A" user add bob --agency Hub --role analyst "${D[@]}"
expect 0 "$A" user revoke bob --json "${D[@]}"
json user-revoke
expect 0 "$A" user list --json "${D[@]}"
json user-list --lines
expect 0 "$A" case open C-2 --agency Hub --title "a title" --json "${D[@]}"
json case-open
expect 0 "$A" case list --json "${D[@]}"
json case-list --lines
expect 0 "$A" vote $MD5 uk B --voter a --json "${D[@]}"
json vote
# undo: the vote withdrawn by its voter only, once; the withdrawal is a row of its own
VGID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["gid"])' "$tmp/vote.json")
expect 1 "$A" vote withdraw "$VGID" --voter b "${D[@]}"
says "only its voter"
expect 0 "$A" vote withdraw "$VGID" --voter a --json "${D[@]}"
json vote
has '"withdraws":'
expect 1 "$A" vote withdraw "$VGID" --voter a "${D[@]}"
says "withdrawn already"
expect 0 "$A" media show $MD5 --json "${D[@]}"
has '"withdrawn":"'
expect 0 "$A" note add media $MD5 "seen on board X" --json "${D[@]}"
json note-add
expect 1 "$A" note add case 2x "a case is named by its id" "${D[@]}"
says "not '2x'"
expect 0 "$A" note add series "Blue Room" "ducks" --clue object --json "${D[@]}"
json note-add
has '"clue":'
# a schema catches a wrong field
sed 's/"linked":2/"linked":"2"/' "$tmp/series-link.json" >"$tmp/bad.json"
! "$AD_TEST_DATA/check-json" "$AD_TEST_DATA/../docs/schemas/series-link.schema.json" \
  "$tmp/bad.json" 2>/dev/null || fail "schema accepts a string count"

# --- match and vpdq --json
printf '%064d\n%s\n' 0 $PDQ >"$tmp/db.txt"
printf '%s\n%064d\n%s\n' $PDQ 1 ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff >"$tmp/q.txt"
expect 0 "$A" match --json "$tmp/db.txt" "$tmp/q.txt"
json match --lines
[ "$(sed -n 1p "$tmp/out")" = '{"query":0,"matches":[{"id":1,"distance":0}]}' ] || fail "match --json"
[ "$(sed -n 2p "$tmp/out")" = '{"query":1,"matches":[{"id":0,"distance":1}]}' ] || fail "match --json"
[ "$(sed -n 3p "$tmp/out")" = '{"query":2,"matches":[]}' ] || fail "match --json"
expect 0 "$A" --json match --dihedral --radius=0 -j 1 "$tmp/db.txt" "$tmp/q.txt"
json match --lines
has '"variant":"orig"'
ffmpeg -v error -f lavfi -i "testsrc2=size=160x120:rate=5" -t 3 -pix_fmt yuv420p "$tmp/v.mp4" ||
  fail ffmpeg
echo "not a video" >"$tmp/bad.mp4"
expect 1 "$A" vpdq --json --jobs 1 "$tmp/v.mp4" "$tmp/bad.mp4"
json vpdq --lines
expect 0 "$A" --json vpdq match "$tmp/v.mp4" "$tmp/v.mp4"
json vpdq-match
has '"match":true'
expect 0 "$A" vpdq --output="$tmp" "$tmp/v.mp4"
[ -s "$tmp/v.mp4.txt" ] || fail "vpdq --output"

# --- help: the sub-commands' usages, the common options
expect 0 "$A" series --help
has "ariadne series link SERIES HASH... \[--create\]"
has "Common options"
expect 0 "$A" --help
has "Commands:"
has "\-\-version"
expect 0 "$A" --version
has "^ariadne [0-9]"
echo "cli_conventions: ok"
