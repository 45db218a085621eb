#!/bin/bash
# tests/web/run.sh: the web interface in a real browser (docs/web.md): Playwright (playwright-core
# from npm, pinned by tests/web/package-lock.json, no browser download) drives Debian's chromium
# against a real `ariadne serve` on 127.0.0.1. Two agencies: A ingests the demo seizure (the
# bundled samples, known references ingested by a hub first), reviews from the keyboard, starts
# a series and identifies its victim; B sees the series identified with A's contact; a
# platform key opens no page; a revealed thumbnail is blurred again on the next item; CSRF and
# the idle timeout are enforced; axe-core finds no serious violation; screenshots go to
# $AD_WEB_SHOTS (default: the scratch folder; `make screenshots` writes docs/screenshots/).
# Skips (exit 77) only when chromium is not installed; everything else missing is a failure.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
A=${ARIADNE:-$root/build/ariadne}
T=${AD_TEST_TMP:-/tmp}/web_ui
AD_TEST_DATA=${AD_TEST_DATA:-$root/tests}
. "$root/tests/lib.sh"
. "$root/tests/serve_lib.sh"
CHROMIUM=${AD_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  echo "web_ui: SKIPPED: no $CHROMIUM (Debian's chromium package; scripts/install-deps installs it)"
  exit 77
fi
command -v node >/dev/null || fail "no node (Node.js) to run Playwright"
[ -d "$root/tests/web/node_modules/playwright-core" ] ||
  fail "no tests/web/node_modules: run scripts/install-deps (npm ci in tests/web)"
rm -rf "$T" && mkdir -p "$T"
tmp=$T
export ARIADNE_DB="sqlite:$T/web.db"
q() { "$A" "$@" >/dev/null 2>"$T/q.err" || { cat "$T/q.err" >&2; fail "$*"; }; }
key() { "$A" user add "$1" --agency "$2" --role "$3" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])'; }
q db init
q agency add "Hub" --kind hub
q agency add "Police A" --country FR
q agency add "Police B" --country GB
q agency add "Platform Co" --kind platform
q ingest "$root/samples/known" --case REF-1 --agency Hub --no-report --no-video
# the demo seizure, with a smaller copy of one new photo: a candidate series (near-duplicates)
cp -r "$root/samples/seizure" "$T/seizure"
convert "$T/seizure/20171107_221406.jpg" -resize 60% "$T/seizure/20171107_221406-small.jpg" ||
  fail "convert"
"$A" ingest "$T/seizure" --case A-2026-1 --agency "Police A" --exhibit "EX-1 laptop" \
  --no-report --quiet >/dev/null 2>"$T/ingest.err"
[ $? -le 1 ] || { cat "$T/ingest.err" >&2; fail "ingest of the demo seizure"; }
q series create "Series Z" --owner "Police B" --contact "z@police-b.example" # B's, for the merge
key anna "Police A" investigator >/dev/null
key ben "Police B" investigator >/dev/null
key adam "Police A" admin >/dev/null
key audrey "Police A" auditor >/dev/null
PLATFORM_KEY=$(key robot "Platform Co" platform)
for u in anna ben adam audrey; do echo "web-test-password" | "$A" user passwd "$u" >/dev/null || fail "passwd $u"; done
serve_start main --access-log "$T/access.log"
BASE_MAIN=$base
serve_start idle --access-log "$T/access-idle.log" --session-idle 2
BASE_IDLE=$base
export BASE_MAIN BASE_IDLE PLATFORM_KEY CHROMIUM
export SHOTS=${AD_WEB_SHOTS:-$T/shots}
export AXE=$root/tests/web/node_modules/axe-core/axe.min.js
mkdir -p "$SHOTS"
node "$root/tests/web/scenario.js" || fail "the browser scenario failed"
# what the browser did is in the audit, as the same people
"$A" audit show --json >"$T/audit.json" 2>/dev/null || "$A" audit show >"$T/audit.json"
grep -q "session.open" "$T/audit.json" || fail "no session.open in the audit"
grep -q "victim.identify" "$T/audit.json" || fail "no victim.identify in the audit"
grep -q "vote.withdraw" "$T/audit.json" || fail "no vote.withdraw (undo) in the audit"
echo "web_ui: ok"
