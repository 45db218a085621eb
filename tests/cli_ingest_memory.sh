#!/usr/bin/env bash
# cli_ingest_memory.sh: one memory budget for a whole ingest run (issue 11, "Memory"). A seizure
# of large images (three that need 142 MB each to decode, one that needs 343 MB, a 150 MB file)
# and a zip with large members (30 MB, 140 MB, and 70 MB inside a zip inside it: the walker
# holds that zip's bytes while it reads the member) is ingested on 2 hashing threads under
# --max-memory 768M and an address-space limit of 900 MiB that the run fits in only by its
# budget (without it the images decode side by side while the batches hold the members, and
# decoders run out of memory). What fits is hashed (a big file alone) and classified; what is
# over the budget is an error row `limit` that says so; nothing crashes. Sanitizer builds
# reserve terabytes of address space: there the run goes without the address-space limit (the
# budget's rows are checked all the same).
set -u
A=${ARIADNE:?}
T=$AD_TEST_TMP/cli_ingest_memory
rm -rf "$T" && mkdir -p "$T/known" "$T/seized" "$T/z"
unset ARIADNE_DB ARIADNE_USER
tmp=$T
. "$AD_TEST_DATA/lib.sh"
V=$AD_TEST_DATA/vectors/pdq
DB="sqlite:$T/db.sqlite"

# --- --max-memory is a size: bytes or K, M, G, T; at least 128M (usage errors, exit 2)
for bad in 12abc 1.5G 64M -1 ""; do
  expect 2 "$A" ingest "$T/seized" --case U --agency Hub --max-memory "$bad" --db "$DB"
  says "max-memory takes a size"
done
"$A" ingest --help | grep -q -- "--max-memory SIZE" || fail "--help names --max-memory"

# --- the known material, the seizure
cp "$V/data/bridge-mods/aaa-orig.jpg" "$T/known/bridge.jpg"
cp "$V/data/reg-test-input/labelme-subset/q0291.jpg" "$T/known/street.jpg"
expect 0 "$A" db init --db "$DB"
expect 0 "$A" agency add Hub --db "$DB"
expect 0 "$A" ingest "$T/known" --case K --agency Hub --no-report --db "$DB"
cp "$T/known/bridge.jpg" "$T/seized/bridge-copy.jpg"                    # known by SHA-256
/usr/bin/convert "$T/known/street.jpg" -resize 60% "$T/seized/street-small.jpg"  # known by PDQ
tif() { ffmpeg -v error -y -f lavfi -i "color=c=$1:s=$2" -frames:v 1 -compression_algo deflate \
  -pix_fmt rgb24 "$3" || fail "ffmpeg $3"; }
tif 0x33aa77 4500x4500 "$T/seized/t1.tif"         # 4500 x 4500 x 7 bytes to decode (libtiff)
for i in 2 3; do cp "$T/seized/t1.tif" "$T/seized/t$i.tif"; printf '%0*d' $i 0 >> "$T/seized/t$i.tif"; done
# a TIFF whose header says 7000 x 7000 (343 MB to decode: over the budget; the check comes
# before its pixels are read, so a small file with its size fields raised will do)
tif 0x3377aa 64x64 "$T/seized/huge.tif"
python3 - "$T/seized/huge.tif" <<'PY' || fail "huge.tif"
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
e = "<" if b[:2] == b"II" else ">"
off, = struct.unpack_from(e + "I", b, 4)
n, = struct.unpack_from(e + "H", b, off)
for i in range(n):
    o = off + 2 + 12 * i
    tag, typ = struct.unpack_from(e + "HH", b, o)
    if tag in (256, 257):  # ImageWidth, ImageLength
        struct.pack_into(e + ("H" if typ == 3 else "I"), b, o + 8, 7000)
open(sys.argv[1], "wb").write(b)
PY
cp "$T/known/street.jpg" "$T/seized/padded.jpg"      # a JPEG of 150 MB (zeros after its end):
truncate -s 150M "$T/seized/padded.jpg"              # read whole, it would need 256 MiB
for m in 30 140 70; do truncate -s ${m}M "$T/z/m$m.bin"; done  # stored: no expansion ratio
cp "$T/known/bridge.jpg" "$T/z/bridge-in-zip.jpg"
# m70.bin alone would fit, but inside inner.zip the walker holds inner.zip's 70 MB as well
(cd "$T/z" && zip -q -0 inner.zip m70.bin && rm m70.bin &&
  zip -q -0 "$T/seized/big.zip" m30.bin m140.bin bridge-in-zip.jpg inner.zip) || fail zip
rm -rf "$T/z"

# --- a budget smaller than what the run holds before any file: a clear error, no file read
"$A" ingest "$T/seized" --case SMALL --agency Hub --no-report --max-memory 128M --db "$DB" \
  >"$T/out" 2>"$T/err"
[ $? -eq 1 ] && grep -q "memory budget of 128 MiB is too small" "$T/err" \
  || { cat "$T/out" "$T/err"; fail "a budget too small for the index and the program"; }

# --- the run under the budget and the address-space limit
limit=(prlimit --as=$((900 << 20)))
if ldd "$A" 2>/dev/null | grep -q 'libasan\|libtsan'; then
  limit=()
  echo "cli_ingest_memory: sanitizer build: no address-space limit"
fi
"${limit[@]}" "$A" ingest "$T/seized" --case M --agency Hub -j 2 --max-memory 768M \
  --report "$T/rep" --json --db "$DB" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 1 ] || { cat "$T/out" "$T/err"; fail "ingest under a memory limit: exit $rc (want 1: rows over the budget)"; }
schema ingest "$T/out" --lines
python3 - "$T/out" "$T/rep/report.json" <<'PY' || { cat "$T/err"; fail "classes under the memory budget"; }
import json, sys
summary = [json.loads(l) for l in open(sys.argv[1])][-1]["summary"]
assert summary["memory_budget"] == 768 << 20, summary
by = {f["path"].split("/seized/")[-1]: f for f in json.load(open(sys.argv[2]))["files"]}
want = {
    "bridge-copy.jpg": "known-unseriesed", "street-small.jpg": "known-unseriesed",
    "t1.tif": "new", "t2.tif": "new", "t3.tif": "new",     # each alone, with the big pool
    "big.zip": "other", "big.zip!/m30.bin": "other", "big.zip!/bridge-in-zip.jpg": "known-unseriesed",
    "big.zip!/inner.zip": "other",
    "huge.tif": "error", "big.zip!/m140.bin": "error", "padded.jpg": "error",
    "big.zip!/inner.zip!/m70.bin": "error",
}
got = {p: f["class"] for p, f in by.items()}
assert got == want, got
for p in ("huge.tif", "big.zip!/m140.bin", "padded.jpg", "big.zip!/inner.zip!/m70.bin"):
    assert by[p]["error"] == "limit", by[p]
for p in ("huge.tif", "padded.jpg"):
    assert "memory budget of 768 MiB" in by[p]["message"], by[p]
assert by["street-small.jpg"]["match"]["by"] == "pdq", by["street-small.jpg"]
assert summary["errors"] == 4 and summary["counts"]["new"] == 3, summary
PY
echo "cli_ingest_memory: ok"
