# cli_vpdq.sh: `ariadne vpdq` end to end on benign synthetic video made here with ffmpeg: output
# formats and exit codes, and matching a trimmed clip, a clip inside a longer video, a re-encoded
# and rescaled copy and a mirrored copy with their source, and not an unrelated video.
set -eu
T=$AD_TEST_TMP/cli_vpdq
rm -rf "$T" && mkdir -p "$T"
cd "$T"
. "$AD_TEST_DATA/lib.sh"
ff() { ffmpeg -nostdin -v error -y "$@"; }
enc="-c:v libx264 -preset veryfast -pix_fmt yuv420p"

# --- sources (10 fps, so one hash per second is every 10th frame) ---
ff -f lavfi -i "mandelbrot=size=192x144:rate=10" -t 20 $enc src.mp4
ff -f lavfi -i "life=s=192x144:r=10:mold=10:ratio=0.5" -t 10 $enc life.mp4
ff -f lavfi -i "testsrc2=s=192x144:r=10" -t 5 $enc bars.mp4
ff -ss 5 -i src.mp4 -t 8 $enc clip.mp4                                  # seconds 5..13
ff -i bars.mp4 -i clip.mp4 -i life.mp4 -filter_complex "[0:v][1:v][2:v]concat=n=3:v=1[v]" \
   -map "[v]" $enc long.mp4                                             # clip at 5..13 of 23 s
ff -i src.mp4 -vf scale=128:96 -crf 36 -r 15 $enc small.mp4          # re-encoded, rescaled, 15 fps
ff -i src.mp4 -vf hflip $enc mirror.mp4

A="$ARIADNE"
# field PATH JSON: a value of the JSON object, PATH like .a, .a[0].b or .a|length (jq-style, in
# python3 since jq is not a dependency); whole floats print as integers, booleans as true/false
field() {
  python3 -c '
import json, re, sys
v = json.loads(sys.argv[2]); path = sys.argv[1]; n = path.endswith("|length")
for key, idx in re.findall(r"\.(\w+)|\[(\d+)\]", path.replace("|length", "")):
    v = v[key] if key else v[int(idx)]
v = len(v) if n else v
print(str(v).lower() if isinstance(v, bool) else int(v) if isinstance(v, float) and v == int(v) else v)
' "$1" "$2"
}

# --- usage and exit codes ---
"$A" vpdq --help | grep -q "frameNumber,quality,pdqHex,timestamp" || fail "--help"
set +e
"$A" vpdq >/dev/null 2>&1; [ $? -eq 2 ] || fail "no args should exit 2"
"$A" vpdq --bogus src.mp4 >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad option should exit 2"
"$A" vpdq match src.mp4 >/dev/null 2>&1; [ $? -eq 2 ] || fail "match with one file should exit 2"
"$A" vpdq --resize 2 src.mp4 >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad --resize should exit 2"
"$A" vpdq src.mp4 missing.mp4 >out.txt 2>err.txt; [ $? -eq 1 ] || fail "missing file should exit 1"
set -e
grep -q "missing.mp4: .*(not_found)" err.txt || fail "missing file message"
grep -q "^# src.mp4$" out.txt || fail "header line per file"

# --- the frame list ---
"$A" vpdq src.mp4 >src.txt
[ "$(wc -l <src.txt)" -eq 20 ] || fail "20 hashes at 1/s"
head -1 src.txt | grep -Eq '^0,[0-9]+,[0-9a-f]{64},0\.000$' || fail "line format"
sed -n 2p src.txt | grep -Eq '^10,[0-9]+,[0-9a-f]{64},1\.000$' || fail "second line"
"$A" vpdq --every-frame src.mp4 >all.txt
[ "$(wc -l <all.txt)" -eq 200 ] || fail "--every-frame"
# one hash per second skips decoding unwanted non-reference frames: same frames, same hashes
awk -F, '$1 % 10 == 0' all.txt | cmp - src.txt || fail "sampled run differs from a full decode"
[ "$("$A" vpdq --seconds-per-hash 2.5 src.mp4 | wc -l)" -eq 8 ] || fail "--seconds-per-hash"
mkdir outdir && "$A" vpdq -o outdir -j 2 src.mp4 clip.mp4
cmp outdir/src.mp4.txt src.txt || fail "-o DIR"
j=$("$A" vpdq --json src.mp4)
[ "$(field .frame_count "$j")" = 200 ] || fail "json frame_count"
[ "$(field '.frames|length' "$j")" = 20 ] || fail "json frames"
[ "$(field .width "$j")x$(field .height "$j")" = 192x144 ] || fail "json size"

# --- matching ---
match() { "$A" vpdq match --json "$@"; }
# the same video, as a frame list and as a video
j=$(match src.txt src.mp4)
[ "$(field .query_pct "$j")" = 100 ] && [ "$(field .match "$j")" = true ] || fail "self: $j"
# a trimmed clip is found in its source, at 5..12 s
j=$(match clip.mp4 src.mp4)
[ "$(field .match "$j")" = true ] || fail "trimmed clip: $j"
[ "$(field '.compared_ranges[0].start' "$j")" = 5 ] || fail "clip range start: $j"
[ "$(field '.compared_ranges[0].end' "$j")" = 12 ] || fail "clip range end: $j"
# ... and in a longer video that contains it (at 5..12 s of 23)
j=$(match clip.mp4 long.mp4)
[ "$(field .match "$j")" = true ] || fail "clip inside longer video: $j"
[ "$(field '.compared_ranges[0].start' "$j")" = 5 ] || fail "clip-in-long range: $j"
# the longer video as the query: only about a third of it is known
j=$(match long.mp4 src.mp4)
[ "$(field .match "$j")" = false ] || fail "long as query should not reach 80%: $j"
awk -v p="$(field .query_pct "$j")" 'BEGIN{exit !(p > 25 && p < 45)}' || fail "long share: $j"
# re-encoded, rescaled, another frame rate
j=$(match small.mp4 src.mp4)
[ "$(field .match "$j")" = true ] || fail "re-encoded copy: $j"
# a mirrored copy: not without the dihedral variants, yes with them
j=$(match mirror.mp4 src.mp4)
[ "$(field .match "$j")" = false ] || fail "mirror without --dihedral: $j"
j=$(match --dihedral mirror.mp4 src.mp4)
[ "$(field .match "$j")" = true ] && [ "$(field .variant "$j")" = flipy ] || fail "mirror: $j"
# unrelated videos
for other in life.mp4 bars.mp4; do
  j=$(match "$other" src.mp4)
  [ "$(field .match "$j")" = false ] || fail "unrelated $other: $j"
  [ "$(field .query_pct "$j")" = 0 ] || fail "unrelated $other share: $j"
done
# text output, the C++ rule
"$A" vpdq match --rule cpp clip.mp4 src.mp4 | grep -q "^match yes$" || fail "text match output"
set +e
"$A" vpdq match --dihedral src.txt src.mp4 >/dev/null 2>err.txt; rc=$?
set -e
[ $rc -eq 1 ] && grep -q "needs a video" err.txt || fail "--dihedral needs a video (exit $rc)"
echo ok
