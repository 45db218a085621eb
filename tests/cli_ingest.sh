#!/usr/bin/env bash
# cli_ingest.sh: triage end to end: every class (exact, dihedral and near-duplicate PDQ matches,
# the quality gate, non-pertinent lists), archives with traversal names and nesting, custody
# data, hostile files, the report files, a record rule (identifying the last victim of a series
# changes the report), and resume after kill -9 at random points giving the same store as an
# uninterrupted run.
set -u
A=${ARIADNE:?}
V=$AD_TEST_DATA/vectors/pdq
S=$AD_TEST_DATA/../samples
T=$AD_TEST_TMP/cli_ingest
rm -rf "$T" && mkdir -p "$T/known" "$T/seizure/sub dir"
unset ARIADNE_DB ARIADNE_USER
export ARIADNE_DB="sqlite:$T/db.sqlite"
C=/usr/bin/convert
. "$AD_TEST_DATA/lib.sh"
ok() { "$@" >"$T/out" 2>"$T/err" || { cat "$T/out" "$T/err" >&2; fail "$*"; }; }
sha() { "$A" hash --csv "$1" | tail -1 | cut -d, -f9; }

# --- the known material and its records
cp "$V/data/bridge-mods/aaa-orig.jpg" "$T/known/bridge.jpg"
cp "$V/data/reg-test-input/pen-and-coaster.png" "$T/known/pen.png"
cp "$V/data/misc-images/small.jpg" "$T/known/flat.jpg"            # quality 0
cp "$S/known/texture-a.jpg" "$T/known/texture.jpg"
cp "$V/data/reg-test-input/labelme-subset/q0291.jpg" "$T/known/street.jpg"
ok "$A" db init
ok "$A" agency add "Hub" --kind hub
ok "$A" agency add "Unit A" --country FR
ok "$A" agency add "Unit B" --country GB
ok "$A" ingest "$T/known" --case REF --agency Hub --no-report
ok "$A" series create "S-identified" --owner "Unit A" --contact "a@unit-a.example"
ok "$A" series link "S-identified" "$(sha "$T/known/bridge.jpg")"
ok "$A" victim add V1 --series "S-identified"
ok "$A" victim identify V1 --agency "Unit A" --country FR
ok "$A" series create "S-open" --owner "Unit B" --contact "b@unit-b.example"
ok "$A" series link "S-open" "$(sha "$T/known/texture.jpg")" "$(sha "$T/known/flat.jpg")"
ok "$A" victim add V2 --series "S-open"
printf '%s,0\n' "$(sha "$T/known/pen.png")" > "$T/np.txt"
ok "$A" import "$T/np.txt" --list non-pertinent

# --- the seizure
$C "$T/known/bridge.jpg" -resize 700x -quality 80 "$T/seizure/resized.jpg"          # pdq
$C "$T/known/bridge.jpg" -rotate 90 "$T/seizure/sub dir/rot90.jpg"                  # dihedral
$C "$T/known/texture.jpg" -flop "$T/seizure/mirror.png"                             # dihedral, open
cp "$T/known/texture.jpg" "$T/seizure/copy.jpg"                                     # sha256, open
$C "$T/known/pen.png" -quality 70 "$T/seizure/pen.jpg"                              # ignorable
cp "$T/known/street.jpg" "$T/seizure/street.jpg"                                    # unseriesed
$C "$T/known/flat.jpg" -resize 90% "$T/seizure/flat-small.jpg"                     # gate: new
$C -seed 3 -size 320x240 plasma:fractal "$T/seizure/new-a.jpg"                      # new
$C "$T/seizure/new-a.jpg" -quality 60 "$T/seizure/new-a-copy.jpg"                   # new, grouped
cp "$T/seizure/new-a.jpg" "$T/seizure/new-a-dup.jpg"                                # new (dup)
echo "not a picture" > "$T/seizure/readme.txt"
head -c 3000 "$T/known/bridge.jpg" > "$T/seizure/cut.jpg"                           # error
mkfifo "$T/seizure/pipe.jpg"                                                        # error
ln -s . "$T/seizure/loop"                                                           # error
# a zip with traversal names, inside a tar, inside the seizure
mkdir -p "$T/z" && cp "$T/known/street.jpg" "$T/z/a.jpg" && cp "$T/known/texture.jpg" "$T/z/b.jpg"
python3 - "$T/z" <<'PY'
import sys, zipfile
d = sys.argv[1]
with zipfile.ZipFile(d + "/evil.zip", "w") as z:
    z.write(d + "/a.jpg", "../../escaped.jpg")
    z.write(d + "/b.jpg", "/etc/absolute.jpg")
PY
(cd "$T/z" && tar cf "$T/seizure/nested.tar" evil.zip)
touch -d "2025-03-04 05:06:07 UTC" "$T/seizure/street.jpg"

"$A" ingest "$T/seizure" --case C-1 --agency "Unit B" --exhibit EX-7 --report "$T/rep" \
  --no-thumbnails >"$T/out" 2>"$T/err"
rc=$?
# 1: some files failed (cut.jpg, pipe.jpg, loop are error rows)
[ $rc -eq 1 ] || { cat "$T/out" "$T/err"; fail "ingest exit $rc (want 1: some files failed)"; }
J1=$(sed -n '1s/^job \([^:]*\): new, case C-1$/\1/p' "$T/out")
[ -n "$J1" ] || { cat "$T/out"; fail "the job id must come first"; }
grep -q $'\033' "$T/err" && fail "no progress line when stderr is not a terminal"
# exact copies of known media (copy.jpg, street.jpg and the two zip members) are not decoded
grep -q "4 known copies not decoded" "$T/out" || { cat "$T/out"; fail "known copies decoded"; }
[ -e "$T/escaped.jpg" ] || [ -e /etc/absolute.jpg ] && fail "an archive member touched the file system"
for f in report.html report.json report.csv case.vics.json; do [ -s "$T/rep/$f" ] || fail "no $f"; done
python3 - "$T/rep/report.json" "$T/rep/report.csv" "$T/rep/case.vics.json" <<'PY' || fail "report contents"
import csv, json, sys
rep = json.load(open(sys.argv[1]))
by = {f["path"].split("/seizure/")[-1]: f for f in rep["files"]}
def cls(p): return by[p]["class"]
assert cls("resized.jpg") == "known-identified" and by["resized.jpg"]["match"]["by"] == "pdq", by["resized.jpg"]
assert cls("sub dir/rot90.jpg") == "known-identified", by["sub dir/rot90.jpg"]
assert by["sub dir/rot90.jpg"]["match"]["variant"] != 0
assert cls("mirror.png") == "known-unidentified"
assert by["mirror.png"]["series"]["contact"] == "b@unit-b.example"
assert cls("copy.jpg") == "known-unidentified" and by["copy.jpg"]["match"]["by"] == "sha256"
assert cls("pen.jpg") == "ignorable", by["pen.jpg"]
assert cls("street.jpg") == "known-unseriesed"
assert cls("flat-small.jpg") == "new", "quality gate: a quality-0 PDQ must not match"
assert cls("new-a.jpg") == cls("new-a-copy.jpg") == cls("new-a-dup.jpg") == "new"
g = by["new-a.jpg"]["group"]
assert g and by["new-a-copy.jpg"]["group"] == g and by["new-a-dup.jpg"]["group"] == g
assert cls("readme.txt") == "other"
for p in ("cut.jpg", "pipe.jpg", "loop"):
    assert cls(p) == "error" and by[p]["error"], by[p]
inner = [f for f in rep["files"] if "!/" in f["path"]]
paths = sorted(f["path"].split("nested.tar!/")[-1] for f in inner)
# member names are kept as the archive gives them (libarchive drops a zip name's leading '/')
assert paths[:2] == ["evil.zip", "evil.zip!/../../escaped.jpg"], paths
assert paths[2] in ("evil.zip!//etc/absolute.jpg", "evil.zip!/etc/absolute.jpg"), paths
esc = [f for f in inner if f["path"].endswith("escaped.jpg")][0]
assert esc["class"] == "known-unseriesed" and esc["archive"].endswith("nested.tar!/evil.zip")
assert esc["path_in_archive"] == "../../escaped.jpg"
assert rep["counts"]["error"] == 3 and rep["case"] == "C-1" and rep["exhibit"] == "EX-7"
rows = list(csv.DictReader(open(sys.argv[2])))
assert len(rows) == len(rep["files"])
st = [r for r in rows if r["path"].endswith("/street.jpg")][0]
assert st["mtime"] == "1741064767", st["mtime"]
vics = json.load(open(sys.argv[3]))
assert len(vics["value"]) >= 10
# the case's VICS file carries what decided each class: series, owner, contact, identification
rec = [m for m in vics["value"] if m.get("MD5", "").lower() == by["mirror.png"]["md5"]][0]
xs = rec["@Ariadne.Series"]
assert rec["VictimIdentified"] is False and rec["Series"] == "S-open", rec
assert xs[0]["Contact"] == "b@unit-b.example" and xs[0]["Owner"]["Name"] == "Unit B", xs
PY
grep -q "known-unidentified" "$T/rep/report.html" || fail "HTML lacks the classes"
grep -q "b@unit-b.example" "$T/rep/report.html" || fail "HTML lacks the owner contact"
grep -q "<img" "$T/rep/report.html" && fail "no image content without --thumbnails"

# --- the report is made again from the database; a record rule changes it
# thumbnails are made at ingest only (tests/cli_thumbs.sh): none was (--no-thumbnails), none is
# read from a path
ok "$A" report --case C-1 --agency "Unit B" --out "$T/rep2" --thumbnails
grep -q "<img" "$T/rep2/report.html" && fail "a thumbnail that ingest did not make"
grep -q "ingested with --no-thumbnails" "$T/rep2/report.html" || fail "no note why no thumbnail"
ok "$A" victim identify V2 --agency "Unit B" --country GB
ok "$A" report --case C-1 --agency "Unit B" --out "$T/rep3" --json
python3 -c '
import json,sys
r=json.loads(open(sys.argv[1]).read())
assert r["counts"]["known-unidentified"] == 0 and r["counts"]["known-identified"] == 5, r["counts"]
' "$T/out" || fail "identifying the last victim of a series must change the report"
ok "$A" audit verify

# --- the same roots again in the same case: refused (exit 2) naming the job, also given another
# way (relative, through a symbolic link); nothing is recorded; --job resumes it; --new-job makes
# a new job that the report counts instead of the first
files_of() { python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["files"]; print(len(f), len({x["path"] for x in f}))' "$1"; }
before=$(files_of "$T/rep/report.json")
ln -s seizure "$T/seizure-link"
for root in "$T/seizure" "seizure/" "$T/seizure-link"; do
  (cd "$T" && "$A" ingest "$root" --case C-1 --agency "Unit B" --no-report >"$T/out" 2>"$T/err")
  rc=$?
  [ $rc -eq 2 ] || { cat "$T/out" "$T/err"; fail "the same roots again ($root): exit $rc, want 2"; }
  grep -q "already holds job $J1" "$T/err" && grep -q -- "--new-job" "$T/err" && grep -q -- "--job $J1" "$T/err" \
    || { cat "$T/err"; fail "the refusal must name the job and the way on"; }
done
"$A" ingest "$T/seizure" --case C-1 --agency "Unit B" --json --no-report >"$T/out" 2>"$T/err"
[ $? -eq 2 ] || fail "refused with --json: exit 2"
schema ingest "$T/out" --lines
grep -q "\"refused\":true" "$T/out" || fail "the JSON error record says refused"
"$A" ingest "$T/seizure" --case C-1 --agency "Unit B" --job "$J1" --report "$T/rep-j" >"$T/out" 2>"$T/err"
[ $? -eq 0 ] || { cat "$T/out" "$T/err"; fail "--job resumes the finished job"; }
grep -q "job $J1: resumed" "$T/out" || { cat "$T/out"; fail "--job resumes that job"; }
[ "$(files_of "$T/rep-j/report.json")" = "$before" ] || fail "--job on a finished job must add nothing"
"$A" ingest "$T/known" --case C-1 --agency "Unit B" --job "$J1" --no-report >"$T/out" 2>"$T/err"
[ $? -eq 2 ] && grep -q "other roots" "$T/err" || { cat "$T/err"; fail "--job of other roots: exit 2"; }
"$A" ingest "$T/seizure" --case C-OTHER --agency "Unit B" --job "$J1" --no-report >"$T/out" 2>"$T/err"
[ $? -eq 2 ] && grep -q "another case" "$T/err" || { cat "$T/err"; fail "--job of another case: exit 2"; }
python3 -c 'import sqlite3,sys; assert not sqlite3.connect(sys.argv[1]).execute("SELECT 1 FROM cases WHERE number = ?", ("C-OTHER",)).fetchall()' \
  "$T/db.sqlite" || fail "a refused --job must not open the case"
"$A" ingest "$T/seizure" --case C-1 --agency "Unit B" --new-job --report "$T/rep-n" >"$T/out" 2>"$T/err"
[ $? -eq 1 ] || { cat "$T/out" "$T/err"; fail "--new-job ingests again"; }
J2=$(sed -n '1s/^job \([^:]*\): new, case C-1$/\1/p' "$T/out")
[ -n "$J2" ] && [ "$J2" != "$J1" ] || { cat "$T/out"; fail "--new-job makes a new job"; }
[ "$(files_of "$T/rep-n/report.json")" = "$before" ] || fail "a new job on the same roots must not double the report ($(files_of "$T/rep-n/report.json") vs $before)"

# --- an unfinished job on the same roots (a killed run: its last batches never committed) is
# resumed without --job; JSON Lines: the job first, then the summary
U=$T/unfinished && mkdir -p "$U/r"
for i in 1 2 3 4 5; do $C -seed $((20 + i)) -size 64x48 plasma:fractal "$U/r/u$i.jpg"; done
ok "$A" ingest "$U/r" --case U-1 --agency Hub --no-report --batch 2
JU=$(sed -n '1s/^job \([^:]*\): new.*/\1/p' "$T/out")
python3 - "$T/db.sqlite" "$JU" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
j = sys.argv[2]
gone = "SELECT %s FROM ingest_item WHERE job_id = ? AND ordinal >= 2"
media = [m for (m,) in c.execute(gone % "media_id", (j,))]
c.execute("DELETE FROM sighting WHERE id IN (%s)" % (gone % "sighting_id"), (j,))
c.execute("DELETE FROM ingest_item WHERE job_id = ? AND ordinal >= 2", (j,))
c.executemany("DELETE FROM media WHERE id = ?", [(m,) for m in media])
c.execute("UPDATE ingest_job SET status = 'running', finished = NULL WHERE id = ?", (j,))
c.commit()
PY
(cd "$U" && "$A" ingest r --case U-1 --agency Hub --json --report "$U/rep" >"$T/out" 2>"$T/err") \
  || { cat "$T/out" "$T/err"; fail "auto-resume"; }
schema ingest "$T/out" --lines
python3 - "$T/out" "$JU" "$U/rep/report.json" "$T/db.sqlite" <<'PY' || fail "an unfinished job on the same roots is resumed"
import json, sqlite3, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert len(recs) == 2 and "job" in recs[0] and "summary" in recs[1], recs
j = recs[0]
assert j["job"] == sys.argv[2] and j["resumed"] and j["auto_resumed"], j
s = recs[1]["summary"]
assert s["job"] == sys.argv[2] and s["rows"] == 5 and s["already_done"] == 2 and s["files"] == 3, s
assert sum(s["counts"].values()) == s["rows"] - s["already_done"] == s["counts"]["new"], s
assert s["exit"] == 0 and s["errors"] == 0 and s["report"].endswith("/rep"), s
rep = json.load(open(sys.argv[3]))
assert len(rep["files"]) == 5 == len({f["path"] for f in rep["files"]}), rep["files"]
c = sqlite3.connect(sys.argv[4])
n, = c.execute("SELECT count(*) FROM ingest_item WHERE job_id = ?", (sys.argv[2],)).fetchone()
assert n == 5, n
jobs, = c.execute("SELECT count(*) FROM ingest_job j JOIN cases c ON c.id = j.case_id WHERE c.number = 'U-1'").fetchone()
assert jobs == 1, jobs
PY

# --- a root that does not exist is a usage error: no case, no job; bad numbers are usage errors;
# --quiet prints the job id only
"$A" ingest "$T/no-such-root" --case NOCASE --agency Hub >"$T/out" 2>"$T/err"
[ $? -eq 2 ] || fail "a missing root: exit 2"
grep -q "no such file or folder" "$T/err" || { cat "$T/err"; fail "a missing root is named"; }
"$A" ingest "$U/r" "$T/no-such-root" --case NOCASE --agency Hub >"$T/out" 2>"$T/err"
[ $? -eq 2 ] || fail "one missing root of two: exit 2"
python3 -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
assert c.execute("SELECT count(*) FROM cases WHERE number = ?", ("NOCASE",)).fetchone()[0] == 0
' "$T/db.sqlite" || fail "a missing root must not create the case"
"$A" ingest "$U/r" --case U-2 --agency Hub --radius abc >"$T/out" 2>"$T/err"
[ $? -eq 2 ] || fail "--radius abc: exit 2"
ok "$A" ingest "$U/r" --case U-2 --agency Hub --quiet --report "$U/rep2"
[ "$(wc -l < "$T/out")" -eq 1 ] && grep -q "^job .*: new, case U-2$" "$T/out" && [ ! -s "$T/err" ] \
  || { cat "$T/out" "$T/err"; fail "--quiet prints the job id only"; }
[ -s "$U/rep2/report.json" ] || fail "--quiet still writes the report"

# --- known files skip decoding, but a known media without PDQ (an imported hash) gets its PDQ and
# clues from its copy; an MD5-only known media stays known for every copy
K=$T/kx && mkdir -p "$K/a" "$K/b"
cp "$S/seizure/20171107_221406.jpg" "$K/a/phone.jpg"                  # EXIF: samsung SM-G930V
$C -seed 11 -size 200x150 plasma:fractal "$K/a/md5-1.jpg" && cp "$K/a/md5-1.jpg" "$K/a/md5-2.jpg"
printf '%s\n' "$(sha "$K/a/phone.jpg")" > "$T/kx.txt"
printf '%s\n' "$(md5sum "$K/a/md5-1.jpg" | cut -d' ' -f1)" >> "$T/kx.txt"
ok "$A" import "$T/kx.txt" --list imported
ok "$A" ingest "$K/a" --case KX-1 --agency "Unit B" --batch 1 --report "$T/kx1"
grep -q "0 known copies not decoded" "$T/out" || { cat "$T/out"; fail "a media without PDQ must be decoded"; }
cp "$K/a/phone.jpg" "$K/b/phone-copy.jpg"
ok "$A" ingest "$K/b" --case KX-2 --agency "Unit B" --report "$T/kx2"
grep -q "1 known copies not decoded" "$T/out" || { cat "$T/out"; fail "the completed media's copy must not be decoded"; }
python3 - "$T/db.sqlite" "$(sha "$K/a/phone.jpg")" "$T/kx1/report.json" "$T/kx2/report.json" <<'PY' || fail "known media completed by its copy"
import json, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
mid, pdq = c.execute("SELECT id, pdq FROM media WHERE hex(sha256) = upper(?)", (sys.argv[2],)).fetchone()
assert pdq is not None, "the imported media got no PDQ from its copy"
clues = [v for (v,) in c.execute("SELECT value FROM clue WHERE object_type = 'media' AND object_id = ?", (mid,))]
assert "samsung SM-G930V" in clues, clues
by = {f["path"].rsplit("/", 1)[-1]: f for f in json.load(open(sys.argv[3]))["files"]}
for n in ("phone.jpg", "md5-1.jpg", "md5-2.jpg"):
    assert by[n]["class"] == "known-unseriesed", by[n]
assert by["md5-1.jpg"]["match"]["by"] == "md5" and by["phone.jpg"]["match"]["by"] == "sha256"
f = json.load(open(sys.argv[4]))["files"][0]
assert f["class"] == "known-unseriesed" and f["match"]["by"] == "sha256", f
PY

# --- video: a trimmed, re-encoded clip of a known video and a longer video holding it match it
VD=$T/video && mkdir -p "$VD/known" "$VD/seized"
ffmpeg -v error -f lavfi -i "testsrc2=size=320x240:rate=10" -t 8 -pix_fmt yuv420p "$VD/known/k.mp4" || fail ffmpeg
ffmpeg -v error -ss 2 -i "$VD/known/k.mp4" -t 4 -c:v libx264 -pix_fmt yuv420p "$VD/seized/clip.mp4" || fail ffmpeg
ffmpeg -v error -f lavfi -i "mandelbrot=size=320x240:rate=10" -t 5 -pix_fmt yuv420p "$VD/other.mp4" || fail ffmpeg
ffmpeg -v error -i "$VD/other.mp4" -i "$VD/known/k.mp4" -filter_complex "[0:v][1:v]concat=n=2:v=1[v]" \
  -map "[v]" -pix_fmt yuv420p "$VD/seized/longer.mp4" || fail ffmpeg
cp "$VD/other.mp4" "$VD/seized/unrelated.mp4"
cp "$VD/known/k.mp4" "$VD/seized/copy.mp4"                                  # not decoded
ffmpeg -v error -i "$VD/known/k.mp4" -vf hflip -pix_fmt yuv420p "$VD/seized/mirrored.mp4" || fail ffmpeg
ffmpeg -v error -i "$VD/known/k.mp4" -vf transpose=1 -pix_fmt yuv420p "$VD/seized/rot90.mp4" || fail ffmpeg
ok "$A" ingest "$VD/known" --case VREF --agency Hub --no-report
ok "$A" series create "S-video" --owner "Unit A" --contact "v@unit-a.example"
ok "$A" series link "S-video" "$(sha "$VD/known/k.mp4")"
ok "$A" victim add V3 --series "S-video"
ok "$A" ingest "$VD/seized" --case V-1 --agency "Unit B" --report "$T/vrep"
grep -q "1 known copies not decoded" "$T/out" || { cat "$T/out"; fail "a known video's copy was hashed"; }
python3 - "$T/vrep/report.json" <<'PY' || fail "video classes"
import json, re, sys
by = {f["path"].rsplit("/", 1)[-1]: f for f in json.load(open(sys.argv[1]))["files"]}
for name in ("clip.mp4", "longer.mp4"):
    f = by[name]
    assert f["class"] == "known-unidentified" and f["match"]["by"] == "vpdq", f
    assert "matched here" in f["match"]["ranges"], f
    assert re.search(r"in the known video: \d+\.\ds-\d+\.\ds", f["match"]["ranges"]), f
assert by["unrelated.mp4"]["class"] == "new", by["unrelated.mp4"]
assert by["copy.mp4"]["class"] == "known-unidentified" and by["copy.mp4"]["match"]["by"] == "sha256"
# mirrored and rotated copies match over the 8 dihedral forms, the form recorded
# (variants: 0 orig, 1 rot90, 2 rot180, 3 rot270, 4 flipx, 5 flipy, 6 flipp, 7 flipm)
for name, variants in (("mirrored.mp4", (4, 5)), ("rot90.mp4", (1, 3))):
    f = by[name]
    assert f["class"] == "known-unidentified" and f["match"]["by"] == "vpdq", f
    assert f["match"]["variant"] in variants, f
    assert "100% of this video's frames match" in f["match"]["ranges"], f
PY

# --- triage, the report and `media show` decide a file's class by one rule (ad_lookup): a picture
# P in a series with an unidentified victim; its resized copy Q ingested into case B (new media,
# matched to P by PDQ); the same Q bytes again into case C match Q's own unseriesed media by
# SHA-256, yet Q is P's by its PDQ neighbour, as `media show` says
O=$T/one && mkdir -p "$O/a" "$O/b" "$O/c"
ODB="sqlite:$O/db.sqlite"
$C -seed 41 -size 480x360 plasma:fractal "$O/a/p.jpg"
$C "$O/a/p.jpg" -resize 300x -quality 75 "$O/b/q.jpg"
cp "$O/b/q.jpg" "$O/c/q.jpg"
ok "$A" db init --db "$ODB"
ok "$A" agency add Hub --db "$ODB"
ok "$A" ingest "$O/a" --case A --agency Hub --no-report --db "$ODB"
ok "$A" series create S-one --owner Hub --contact "one@hub.example" --db "$ODB"
ok "$A" series link S-one "$(sha "$O/a/p.jpg")" --db "$ODB"
ok "$A" victim add V9 --series S-one --db "$ODB"
ok "$A" ingest "$O/b" --case B --agency Hub --report "$O/rep-b" --json --db "$ODB"
cp "$T/out" "$O/b.json"
ok "$A" ingest "$O/c" --case C --agency Hub --report "$O/rep-c" --json --db "$ODB"
cp "$T/out" "$O/c.json"
ok "$A" media show "$(sha "$O/c/q.jpg")" --json --db "$ODB"
cp "$T/out" "$O/show.json"
python3 - "$O" <<'PY' || fail "triage, report and media show must agree"
import json, sys
d = sys.argv[1]
show = json.load(open(d + "/show.json"))["classification"]
assert show["class"] == "known-unidentified", show
for case in ("b", "c"):
    summary = [json.loads(l) for l in open("%s/%s.json" % (d, case))][-1]["summary"]
    assert summary["counts"]["known-unidentified"] == 1 and summary["counts"]["known-unseriesed"] == 0, (case, summary)
    f = json.load(open("%s/rep-%s/report.json" % (d, case)))["files"][0]
    assert f["class"] == show["class"], (case, f)
    assert f["series"]["contact"] == "one@hub.example", (case, f)
    assert f["match"]["by"] == "pdq" and f["match"]["media_id"] == show["media_id"], (case, f, show)
PY
# the store changes after triage: P's new material is now in S-one, Q's own record in a series
# whose victim is identified; the reports made again say what `media show` says of each file
ok "$A" series create S-two --owner Hub --contact "two@hub.example" --db "$ODB"
ok "$A" series link S-two "$(sha "$O/c/q.jpg")" --db "$ODB"
ok "$A" victim add V10 --series S-two --db "$ODB"
ok "$A" victim identify V10 --agency Hub --db "$ODB"
for c in A C; do ok "$A" report --case $c --agency Hub --out "$O/again-$c" --db "$ODB"; done
for f in a/p.jpg c/q.jpg; do
  ok "$A" media show "$(sha "$O/$f")" --json --db "$ODB"; cp "$T/out" "$O/show-${f%%/*}.json"
done
python3 - "$O" <<'PY' || fail "reports made again must agree with media show"
import json, sys
d = sys.argv[1]
for case, show in (("A", "a"), ("C", "c")):
    want = json.load(open("%s/show-%s.json" % (d, show)))["classification"]
    f = json.load(open("%s/again-%s/report.json" % (d, case)))["files"][0]
    assert f["class"] == want["class"], (case, f, want)
    assert f["series"]["name"] == want["series"]["name"], (case, f, want)
assert want["class"] == "known-identified" and want["decided_by"] == "exact", want
PY

# --- resume after kill -9 at random points equals an uninterrupted run
R=$T/resume && mkdir -p "$R/src"
for i in $(seq 1 240); do cp "$T/seizure/new-a.jpg" "$R/src/f$i.jpg"; printf '%04d' "$i" >> "$R/src/f$i.jpg"; done
(cd "$R/src" && zip -q ../arch.zip f1*.jpg) && mv "$R/arch.zip" "$R/src/"
run_ref() { "$A" ingest "$R/src" --case R --agency Hub --no-report --batch 7 --job ref --db "sqlite:$R/ref.db" >/dev/null 2>&1; }
"$A" db init --db "sqlite:$R/ref.db" >/dev/null && "$A" agency add Hub --db "sqlite:$R/ref.db" >/dev/null
run_ref || fail "reference run"
"$A" db init --db "sqlite:$R/k.db" >/dev/null && "$A" agency add Hub --db "sqlite:$R/k.db" >/dev/null
kills=0
for attempt in $(seq 1 40); do
  "$A" ingest "$R/src" --case R --agency Hub --no-report --batch 7 --job ref --db "sqlite:$R/k.db" >/dev/null 2>&1 &
  pid=$!
  sleep "$(printf '0.%02d' $(( (RANDOM % 30) + 2 )))"
  if kill -9 $pid 2>/dev/null; then kills=$((kills + 1)); fi
  wait $pid 2>/dev/null
  [ $kills -ge 6 ] && break
done
"$A" ingest "$R/src" --case R --agency Hub --no-report --batch 7 --job ref --db "sqlite:$R/k.db" >/dev/null 2>&1 || fail "final resume"
python3 - "$R/ref.db" "$R/k.db" <<'PY' || fail "resumed store differs from the uninterrupted one"
import sqlite3, sys
def snap(p):
    c = sqlite3.connect(p)
    q = lambda s: sorted(c.execute(s).fetchall())
    return (q("SELECT hex(sha256), size, mime FROM media"),
            q("SELECT s.path, s.parent_path, s.inner_path, s.size, hex(m.sha256) FROM sighting s JOIN media m ON m.id = s.media_id"),
            q("SELECT key, path, error_code, match_kind FROM ingest_item"))
a, b = snap(sys.argv[1]), snap(sys.argv[2])
assert a == b, [len(x) for x in a] + [len(x) for x in b]
assert len(a[1]) == len(set(a[1])) and len(a[1]) > 260
PY
# --- progress on a terminal (a pseudo-terminal from script(1)): files, rate, a total and the
# counts per class, redrawn on one line; the job id first
"$A" db init --db "sqlite:$R/tty.db" >/dev/null && "$A" agency add Hub --db "sqlite:$R/tty.db" >/dev/null
script -qec "'$A' ingest '$R/src' --case TTY --agency Hub --no-report --batch 16 --db 'sqlite:$R/tty.db'" \
  /dev/null > "$T/tty.out" || { cat "$T/tty.out"; fail "ingest on a terminal"; }
head -1 "$T/tty.out" | grep -q "^job .*: new, case TTY" || { cat -v "$T/tty.out"; fail "job id first on a terminal"; }
for want in $'\r\033\[K' "files/s" " of 241 files" "new [0-9]" "unidentified [0-9]" "errors [0-9]"; do
  grep -q "$want" "$T/tty.out" || { cat -v "$T/tty.out"; fail "progress line lacks '$want'"; }
done
echo "cli_ingest: ok ($kills kills)"
