#!/usr/bin/env bash
# cli_match.sh: `ariadne match`: the hashbench candidate format, radius, --dihedral, stdin,
# the same answers on every CPU path, and clear errors (malformed line, usage).
set -euo pipefail
T="$AD_TEST_TMP/cli_match"
rm -rf "$T" && mkdir -p "$T"
. "$AD_TEST_DATA/lib.sh"

# 3000 random hashes, then 500 near-copies of the first 50 (last hex digit changed)
head -c $((3000 * 32)) /dev/urandom | od -An -tx1 -v | tr -d ' \n' | fold -w64 >"$T/db.hex"
echo >>"$T/db.hex"
awk 'NR <= 50 { b[NR - 1] = $0 }
     END { for (i = 0; i < 500; i++) printf "%s%x\n", substr(b[i % 50], 1, 63), i % 16 }' \
    "$T/db.hex" >"$T/near.hex"
cat "$T/near.hex" >>"$T/db.hex"
[ "$(wc -l <"$T/db.hex")" = 3500 ] || fail "test data"
# queries: db lines 0..9 as they are, then 5 random ones
sed -n '1,10p' "$T/db.hex" >"$T/q.hex"
head -c $((5 * 32)) /dev/urandom | od -An -tx1 -v | tr -d ' \n' | fold -w64 >>"$T/q.hex"
echo >>"$T/q.hex"

"$ARIADNE" match --help | grep -q 'usage: ariadne match' || fail "--help"
"$ARIADNE" match "$T/db.hex" "$T/q.hex" >"$T/out" 2>"$T/err"
grep -Eq '^hashbench: load_s=[0-9.]+ build_s=[0-9.]+ query_s=[0-9.]+$' "$T/err" || fail "stderr line"
[ "$(wc -l <"$T/out")" = 15 ] || fail "one line per query"
# every line: qid, count, then count pairs; query i (< 10) finds db line i at distance 0
awk '{ if (NF != $2 + 2) exit 1 }' "$T/out" || fail "count matches pairs"
for i in $(seq 0 9); do
    grep -Eq "^$i [0-9]+ (.* )?$i:0( |\$)" "$T/out" || fail "query $i misses itself"
    # its 10 near-copies (lines 3000 + i + 50k) are within 4 bits
    n=$(grep "^$i " "$T/out" | awk '{print $2}')
    [ "$n" -ge 11 ] || fail "query $i: $n matches, want >= 11"
done
# radius 0: only exact copies
"$ARIADNE" match --radius 0 "$T/db.hex" "$T/q.hex" >"$T/out0" 2>/dev/null
awk '{ for (i = 3; i <= NF; i++) { split($i, p, ":"); if (p[2] != 0) exit 1 } }' "$T/out0" ||
    fail "radius 0"
# stdin, and the same answers on every CPU path and thread count
"$ARIADNE" match - "$T/q.hex" <"$T/db.hex" >"$T/out.stdin" 2>/dev/null
cmp -s "$T/out" "$T/out.stdin" || fail "stdin"
for cpu in scalar avx2 avx512; do
    AD_CPU=$cpu HASHBENCH_THREADS=1 "$ARIADNE" match "$T/db.hex" "$T/q.hex" >"$T/out.$cpu" 2>/dev/null
    cmp -s "$T/out" "$T/out.$cpu" || fail "AD_CPU=$cpu differs"
done
# --dihedral: 8 variants per line; variant 3 is the exact copy
head -n 3 "$T/q.hex" | while read -r h; do
    r1=$(head -c 32 /dev/urandom | od -An -tx1 -v | tr -d ' \n')
    echo "$r1,$r1,$r1,$h,$r1,$r1,$r1,$r1"
done >"$T/qd.hex"
"$ARIADNE" match --dihedral "$T/db.hex" "$T/qd.hex" >"$T/outd" 2>/dev/null
grep -Eq '^0 [0-9]+ (.* )?0:0:3( |$)' "$T/outd" || fail "dihedral variant"
# errors: malformed line named, exit 1; usage errors exit 2
printf '%s\nnot-a-hash\n' "$(head -n 1 "$T/db.hex")" >"$T/badq.hex"
rc=0
"$ARIADNE" match "$T/db.hex" "$T/badq.hex" >/dev/null 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || fail "malformed hex exit $rc"
grep -q 'line 2' "$T/err" || fail "malformed hex names the line: $(cat "$T/err")"
for args in "" "$T/db.hex" "--radius 65 $T/db.hex $T/q.hex" "--bogus $T/db.hex $T/q.hex" "- -"; do
    rc=0
    # shellcheck disable=SC2086
    "$ARIADNE" match $args >/dev/null 2>&1 </dev/null || rc=$?
    [ "$rc" = 2 ] || fail "usage error '$args' exit $rc"
done
echo "cli_match: ok"
