#!/usr/bin/env bash
# cli_hash.sh: `ariadne hash` as a user runs it: formats, exit codes, stdin, odd paths, folders.
set -euo pipefail
A=${ARIADNE:?}
V=${AD_TEST_DATA:?}/vectors/pdq
T=${AD_TEST_TMP:-/tmp}/cli_hash
rm -rf "$T" && mkdir -p "$T/in/sub dir"
. "$AD_TEST_DATA/lib.sh"

# --help and usage errors
"$A" hash --help | grep -q "usage: ariadne hash" || fail "--help"
set +e
"$A" hash >/dev/null 2>&1; [ $? -eq 2 ] || fail "no args should exit 2"
"$A" hash --bogus x >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad option should exit 2"
"$A" hash --pdq-compat=nope x >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad compat should exit 2"
"$A" nosuchcommand >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown command should exit 2"
set -e

# a folder with odd names: spaces, a newline, a non-UTF-8 byte, a text file named .jpg
cp "$V/lossless/wee.png" "$T/in/sub dir/we e.png"
cp "$V/data/misc-images/wee.jpg" "$T/in/new"$'\n'"line.jpg"
cp "$V/lossless/q0291.png" "$T/in/"$'\xff'"bad.png"
echo "hello" > "$T/in/text.jpg"
"$A" hash --json "$T/in" > "$T/out.json" 2> "$T/err.txt"
[ -s "$T/err.txt" ] && fail "stderr should be silent when not a terminal: $(cat "$T/err.txt")"
schema hash "$T/out.json" --lines
python3 - "$T/out.json" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(recs) == 4, recs
by = {r["path"].rsplit("/", 1)[-1]: r for r in recs}
w = by["we e.png"]
assert w["pdq"] == "6227401f601ff4ccafcc9fad4b0d95d371a2eb7265a3285234d228ca94deeb2d", w
assert w["quality"] == 100 and w["width"] == 34 and w["height"] == 42 and w["type"] == "png"
nl = by["new\nline.jpg"]
assert nl["pdq"] == w["pdq"] and nl["type"] == "jpeg"
bad = [r for r in recs if "path_hex" in r][0]
assert bytes.fromhex(bad["path_hex"]).endswith(b"\xffbad.png"), bad
assert bad["pdq"] == "a0fe94f1e5cc1cc8dd855948498dc9243f7ca27336f036d7f212b74bc103c9a7"
t = by["text.jpg"]
assert t["pdq"] is None and t["mime"] == "text/plain" and "pdq_skipped" in t
assert t["md5"] == "b1946ac92492d2347c6235b4d2611184"
for r in recs:
    assert len(r["sha256"]) == 64 and len(r["sha1"]) == 40 and len(r["md5"]) == 32
PY

# stdin paths, newline- and NUL-separated; output in input order
printf '%s\n' "$V/lossless/q0122.png" "$V/lossless/wee.png" | "$A" hash --csv - > "$T/stdin.csv"
[ "$(wc -l < "$T/stdin.csv")" -eq 3 ] || fail "csv should have a header and 2 rows"
head -1 "$T/stdin.csv" | grep -q '^path,size,type,mime,width,height,md5,sha1,sha256,pdq,quality' || fail "csv header"
sed -n 2p "$T/stdin.csv" | grep -q 'q0122.png,.*,cfb2009ddd21c6dab0046a7745b5984757a8a4535b3377aea2591d32b33ff940,100,' || fail "csv row order"
printf '%s\0' "$T/in/new"$'\n'"line.jpg" | "$A" hash -0 --json - | grep -q '"type":"jpeg"' || fail "-0"

# dihedral: 8 variants in the reference order
"$A" hash --json --dihedral "$V/data/reg-test-input/dih/bridge-1-original.jpg" > "$T/dih.json"
schema hash "$T/dih.json" --lines
python3 -c '
import json,sys
r=json.loads(sys.stdin.read()); d=r["dihedral"]
assert len(d)==8 and d[0]==r["pdq"]
assert d[1]=="30a10efd71c83f429013d48d0ffffc52e34e0e17ada952a9d29685211ea9e5af", d[1]' < "$T/dih.json"

# CLI convention
"$A" hash --json --pdq-compat=cli "$V/data/bridge-mods/aaa-orig.jpg" | grep -q '"pdq":"d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22"' || fail "cli compat"

# one bad file: exit 1, the rest still hashed, error is a stable code
head -c 5000 "$V/data/bridge-mods/aaa-orig.jpg" > "$T/in/cut.jpg"
set +e
"$A" hash --json "$T/in" > "$T/out2.json"; rc=$?
set -e
[ $rc -eq 1 ] || fail "a failed file should exit 1 (got $rc)"
grep -q '"error":"truncated"' "$T/out2.json" || fail "truncated error code"
schema hash "$T/out2.json" --lines
[ "$(wc -l < "$T/out2.json")" -eq 5 ] || fail "every file gets a record"

# -j 1 and -j 2 print the same thing
"$A" hash --csv -j 1 "$V/data/bridge-mods" > "$T/j1.csv"
"$A" hash --csv -j 2 "$V/data/bridge-mods" > "$T/j2.csv"
cmp -s "$T/j1.csv" "$T/j2.csv" || fail "-j 1 and -j 2 differ"

# the table: a header naming the columns (on a terminal or not: scripts use --json or --csv),
# then one line per file, SHA-256 and PDQ in their columns, odd names escaped as ingest does
"$A" hash "$V/lossless/wee.png" > "$T/table.txt"
head -1 "$T/table.txt" | grep -q "^SHA-256  *PDQ  *QUAL  TYPE   DIMENSIONS   PATH$" || fail "table header"
grep -q "^8f0e549cca5e58fcdc6d3cab277c4c106ac73ba4a8bb004ce4f9be840a436faf  6227401f601ff4ccafcc9fad4b0d95d371a2eb7265a3285234d228ca94deeb2d   100  png    34x42        .*/wee.png$" "$T/table.txt" || fail "table row"
set +e
"$A" hash "$T/in" > "$T/table.txt"
set -e
[ "$(wc -l < "$T/table.txt")" -eq 6 ] || fail "table: a header and one line per file"
grep -q '/new\\x0aline.jpg$' "$T/table.txt" || fail "table: a newline in a name is escaped"
grep -q '/\\xffbad.png$' "$T/table.txt" || fail "table: a byte that is not UTF-8 is escaped"
grep -q '/text.jpg  (no PDQ: not an image (text/plain))$' "$T/table.txt" || fail "table: no PDQ"
grep -q '^[0-9a-f]\{64\}  -  .*/cut.jpg  \[error truncated: ' "$T/table.txt" || fail "table: error"
# a video: digests and vPDQ frame hashes in the reference's line format
"$A" hash --json "$AD_TEST_DATA/vectors/vpdq/videos/test-padded-dimensions.mp4" > "$T/video.json"
schema hash "$T/video.json" --lines
python3 -c '
import json,sys
r=json.loads(sys.stdin.read())
assert r["type"]=="video" and len(r["sha256"])==64, r
assert len(r["vpdq"])==5 and r["vpdq"][0].startswith("0,"), r["vpdq"]' < "$T/video.json"
echo "cli_hash: ok"
