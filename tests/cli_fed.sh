#!/bin/bash
# cli_fed.sh: federation by bundles (docs/federation.md): a hub and three national instances
# (SQLite, and PostgreSQL for one when AD_TEST_PG is set) ingest benign images, make series,
# victims, votes and notes, and exchange signed bundles through the hub in a seeded random
# order, with one nation cut off for the first round (a partition that heals). Every instance
# ends with the same shared knowledge; no case, path, user or case note leaves its instance; a
# tampered or replayed bundle changes nothing; a match at one nation names another's series.
set -u
tmp="$AD_TEST_TMP/cli_fed"
rm -rf "$tmp" && mkdir -p "$tmp"
. "$AD_TEST_DATA/lib.sh"
A=$ARIADNE
V="$AD_TEST_DATA/vectors/pdq/data/bridge-mods"
RANDOM=15

pgdb=""
if [ -n "${AD_TEST_PG:-}" ]; then
  pgdb="fed_n3_$$"
  psql "$AD_TEST_PG/postgres" -qc "CREATE DATABASE $pgdb" >/dev/null || fail "createdb"
  trap 'psql "$AD_TEST_PG/postgres" -qc "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1' EXIT
fi
declare -A DB
for n in hub n1 n2 n3; do DB[$n]="sqlite:$tmp/$n.db"; done
[ -n "$pgdb" ] && DB[n3]="$AD_TEST_PG/$pgdb"
export ARIADNE_FED_KEY=""
key() { echo "$tmp/$1.key"; }
run() { local n=$1; shift; "$A" "$@" --db "${DB[$n]}" --fed-key "$(key "$n")"; }
X() { local n=$1; shift; "$A" "$@" --db "${DB[$n]}"; }

declare -A PUB
for n in hub n1 n2 n3; do
  expect 0 X $n db init
  expect 0 "$A" instance init --name $n --db "${DB[$n]}" --fed-key "$(key $n)" --json
  schema instance-init "$tmp/out"
  [ "$(stat -c %a "$(key $n)")" = 600 ] || fail "key file mode"
  expect 0 X $n instance show --json
  schema instance-show "$tmp/out"
  PUB[$n]=$(jq -r .pubkey "$tmp/out")
done
# the hub trusts each nation; each nation trusts the hub (as hub) and the others' keys
for n in n1 n2 n3; do
  expect 0 X hub peer add $n - --key "${PUB[$n]}" --scope national
  expect 0 X $n peer add hub http://127.0.0.1:1 --key "${PUB[hub]}" --scope hub
  for m in n1 n2 n3; do
    [ $m = $n ] || expect 0 X $n peer add $m - --key "${PUB[$m]}"
  done
done
expect 1 "$A" instance init --db "${DB[n1]}" --fed-key "$tmp/other.key"
says "has a key already"
[ ! -e "$tmp/other.key" ] || fail "a second key file was left"
expect 0 X n1 peer list --json
schema peer-list "$tmp/out" --lines
[ "$(wc -l < "$tmp/out")" = 3 ] || fail "n1 has 3 peers"
expect 2 X n1 peer add bad - --key 1234
expect 1 X n1 peer add hub2 - --key "${PUB[hub]}"
says "exists"

# what each nation knows: ingests (custody stays home), series, victims, votes, notes
mkdir -p "$tmp/seized one" "$tmp/seized two"
cp "$V/aaa-orig.jpg" "$V/blur-a-lot.jpg" "$tmp/seized one/"
cp "$V/aaa-orig.jpg" "$V/high-contrast.jpg" "$tmp/seized two/"
expect 0 X n1 agency add NCA-UK --country GB
expect 0 X n2 agency add BKA-DE --country DE
expect 0 X n1 ingest "$tmp/seized one" --case SECRET-CASE-1 --agency NCA-UK --no-report -q
expect 0 X n2 ingest "$tmp/seized two" --case SECRET-CASE-2 --agency BKA-DE --no-report -q
ORIG=$(sha256sum "$V/aaa-orig.jpg" | cut -c1-64)
BLUR=$(sha256sum "$V/blur-a-lot.jpg" | cut -c1-64)
HIGH=$(sha256sum "$V/high-contrast.jpg" | cut -c1-64)
expect 0 X n1 series create Bridge --owner NCA-UK --contact vid@nca.example
expect 0 X n1 series link Bridge "$ORIG"
expect 0 X n1 series link Bridge "$BLUR"
expect 0 X n1 victim add UK-V1 --series Bridge
expect 0 X n1 vote "$ORIG" vics-us 1
expect 0 X n1 note add media "$ORIG" "seen on forum X"
expect 0 X n1 note add case 1 "case note stays home"
expect 0 X n2 series create Brücke --owner BKA-DE --contact bka@de.example
expect 0 X n2 series link Brücke "$ORIG"
expect 0 X n2 series link Brücke "$HIGH"
expect 0 X n2 vote "$ORIG" vics-us 1
expect 0 X n3 agency add OCRVP-FR --country FR
expect 0 X n3 series create Pont --owner OCRVP-FR --contact fr@fr.example
expect 0 X n3 series link Pont "$HIGH" --create

# rounds through the hub in a random order; n3 is cut off in round 1
i=0
round() {
  local r=$1 nations="n1 n2 n3" n
  [ "$r" = 1 ] && nations="n1 n2"
  for n in $(printf '%s\n' $nations | shuf --random-source=<(yes $RANDOM)); do
    i=$((i + 1))
    expect 0 run $n bundle export --peer hub -o "$tmp/b$i-$n-hub"
    expect 0 X hub bundle import "$tmp/b$i-$n-hub"
  done
  for n in $(printf '%s\n' $nations | shuf --random-source=<(yes $RANDOM)); do
    i=$((i + 1))
    expect 0 run hub bundle export --peer $n -o "$tmp/b$i-hub-$n"
    expect 0 X $n bundle import "$tmp/b$i-hub-$n"
  done
}
round 1
# n2 learnt of n1's victim through the hub, and has identified it; n1 learns it back
expect 0 X n2 victim identify UK-V1 --agency BKA-DE --country DE
round 2
sqlite3 "${DB[n1]#sqlite:}" ".backup '$tmp/n1-before-round3.db'"
expect 0 X n1 vote "$BLUR" vics-us 2
round 3

# the same shared knowledge everywhere
dump() {
  local n=$1 hx="lower(hex(%s))" q
  case "${DB[$n]}" in postgres*) hx="encode(%s, 'hex')";; esac
  local m; m=$(printf "$hx" m.sha256)
  q="SELECT 'media ' || $m FROM media m WHERE m.sha256 IS NOT NULL
     UNION ALL SELECT 'series ' || s.gid || ' ' || COALESCE(s.contact, '') || ' ' ||
       COALESCE(a.name, '') FROM series s LEFT JOIN agency a ON a.id = s.owner_agency_id
     UNION ALL SELECT 'link ' || s.gid || ' ' || $m FROM series_media l
       JOIN series s ON s.id = l.series_id JOIN media m ON m.id = l.media_id
     UNION ALL SELECT 'person ' || p.gid || ' ' || p.identified || ' ' ||
       CASE WHEN p.identified = 1 THEN COALESCE(p.identified_origin, (SELECT uuid FROM instance)) ELSE '' END FROM person p
     UNION ALL SELECT 'vote ' || v.gid FROM vote v
     UNION ALL SELECT 'note ' || n.gid || ' ' || n.body FROM note n
       WHERE n.private = 0 AND n.object_type <> 'case'"
  case "${DB[$n]}" in
    postgres*) psql -qAt "${DB[$n]}" -c "$q" ;;
    *) sqlite3 "${DB[$n]#sqlite:}" "$q" ;;
  esac | LC_ALL=C sort > "$tmp/state-$n"
}
for n in hub n1 n2 n3; do dump $n; done
for n in n1 n2 n3; do
  diff "$tmp/state-hub" "$tmp/state-$n" >&2 || fail "$n differs from the hub"
done
grep -q '^person .* 1 ' "$tmp/state-n1" || fail "the identification did not reach n1"
[ "$(grep -c '^series ' "$tmp/state-n1")" = 3 ] || fail "three series everywhere"
[ "$(grep -c '^vote ' "$tmp/state-n1")" = 3 ] || fail "votes accumulate"

# nothing private left its instance: no case, path, user or case note in any bundle
for f in "$tmp"/b*; do
  for word in SECRET-CASE "seized" "case note stays home" "local:" "os:" "$tmp"; do
    ! grep -qF -- "$word" "$f" || fail "$f carries '$word'"
  done
done
for n in hub n2 n3; do
  expect 0 X $n case list --json
  [ ! -s "$tmp/out" ] || [ $n = n2 ] || fail "$n has cases"
done

# a match at n3 names the foreign owner and contact (its triage uses what it received)
expect 0 X n3 media show "$BLUR"
has "vid@nca.example"
has "NCA-UK"

# replay: nothing new; tamper: rejected whole, nothing written
big=$(ls -S "$tmp"/b*-hub-n3 | head -1)
expect 0 X n3 bundle import "$big" --json
schema bundle-import "$tmp/out"
[ "$(jq .applied "$tmp/out")" = 0 ] || fail "a replay applied something"
first=$(ls -S "$tmp"/b*-n1-hub | head -1)
sed 's/vid@nca.example/vid@nca.exampl3/' "$first" > "$tmp/tampered"
cmp -s "$first" "$tmp/tampered" && fail "nothing tampered"
dump hub; cp "$tmp/state-hub" "$tmp/before"
expect 1 X hub bundle import "$tmp/tampered"
says "nothing written"
dump hub; diff "$tmp/before" "$tmp/state-hub" >&2 || fail "a rejected bundle wrote something"
head -c 1000 "$(ls -S "$tmp"/b*-hub-n1 | head -1)" > "$tmp/truncated"
[ "$(wc -c < "$tmp/truncated")" = 1000 ] || fail "nothing to truncate"
expect 1 X n1 bundle import "$tmp/truncated"
says "nothing written"
expect 0 run n1 bundle export --peer hub -o "$tmp/again" --all --json
schema bundle-export "$tmp/out"
expect 0 X n1 peer add extra - --key "$(printf '%064d' 7)" --json
schema peer-add "$tmp/out"
expect 0 X n1 peer remove extra
# witnessed audit heads: the hub signed n1's head into its bundles; a copy of n1's store from
# before the last round, put back (its chain intact on its own), no longer holds that row
expect 0 X n1 audit verify --witness hub --json
schema audit-verify "$tmp/out"
[ "$(jq -r .witness "$tmp/out")" != null ] || fail "no witness checked"
expect 0 X hub audit verify
cp "$tmp/n1-before-round3.db" "$tmp/n1-old.db"
expect 0 "$A" audit verify --db "sqlite:$tmp/n1-old.db"
latest=$(ls "$tmp"/b*-hub-n1 | sort -V | tail -1)
expect 1 "$A" audit verify --db "sqlite:$tmp/n1-old.db" --witness hub --witness-file "$latest"
says "witnessed row"
expect 0 X n1 audit verify --witness hub --witness-file "$latest"
# over HTTP: the hub serves (its key from $ARIADNE_FED_KEY), n1 and n2 sync with it
T=$tmp
. "$AD_TEST_DATA/serve_lib.sh"
export ARIADNE_FED_KEY="$(key hub)"
serve_start hub --db "${DB[hub]}"
export ARIADNE_FED_KEY=""
for n in n1 n2; do
  expect 0 X $n peer remove hub
  expect 0 X $n peer add hub "$base" --key "${PUB[hub]}" --scope hub
done
expect 0 X n1 series create Tunnel --owner NCA-UK --contact tunnel@nca.example
expect 0 X n1 series link Tunnel "$HIGH"
expect 0 run n1 sync hub --json
schema sync "$tmp/out"
[ "$(jq .sent.changes "$tmp/out")" -ge 2 ] || fail "n1 sent nothing"
# one POST (the bundle is small) and one GET, and their bodies' bytes
[ "$(jq .http.requests "$tmp/out")" -eq 2 ] || fail "sync --json: not 2 requests"
[ "$(jq .http.refused "$tmp/out")" -eq 0 ] || fail "sync --json: a request refused"
[ "$(jq .http.bytes_sent "$tmp/out")" -gt 1000 ] || fail "sync --json: no bytes sent"
[ "$(jq .http.bytes_received "$tmp/out")" -gt 0 ] || fail "sync --json: no bytes received"
expect 0 run n2 sync hub
expect 0 X n2 series list
has "Tunnel"
# what the routes refuse: a pull not signed by a peer, a tampered bundle
req GET "/v1/fed/changes?peer=${PUB[n3]}&t=$(date +%s)&sig=$(printf '%0128d' 0)" -
want 403
status=$(curl -s -o "$T/body" -w '%{http_code}' -H 'Content-Type: application/octet-stream' \
  --data-binary @"$tmp/tampered" "$base/v1/fed/changes")
want 403
expect 0 X hub audit verify
echo "cli_fed: ok"
