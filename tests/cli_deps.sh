#!/usr/bin/env bash
# scripts/install-deps waits while another package manager holds apt's lock, then installs;
# and gives up with apt's message on any other failure. apt-get and dpkg-query are stand-ins
# placed first on PATH: nothing is installed.
set -u
. "$AD_TEST_DATA/lib.sh"
tmp="$AD_TEST_TMP/cli_deps"
rm -rf "$tmp" && mkdir -p "$tmp/bin"
script="$AD_TEST_DATA/../scripts/install-deps"

# dpkg-query: every package is installed but 'cmake'
cat >"$tmp/bin/dpkg-query" <<'SH'
#!/bin/sh
for a; do p=$a; done
[ "$p" = cmake ] && exit 1
printf 'install ok installed'
SH
# apt-get: the lists' lock is held for the first two calls of 'update'
cat >"$tmp/bin/apt-get" <<'SH'
#!/bin/sh
echo "$*" >>"$STATE/calls"
case " $* " in
  *" update "*)
    n=$(cat "$STATE/busy" 2>/dev/null || echo 0)
    if [ "$n" -lt 2 ]; then
      echo $((n + 1)) >"$STATE/busy"
      echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)" >&2
      exit 100
    fi ;;
  *" install "*) [ -n "${FAIL_INSTALL:-}" ] && { echo "E: Unable to locate package cmake" >&2; exit 100; } ;;
esac
exit 0
SH
chmod +x "$tmp/bin/"*
export STATE="$tmp" AD_APT_RETRY=0

PATH="$tmp/bin:$PATH" expect 0 sh "$script"
says "waiting for its lock"
[ "$(grep -c update "$tmp/calls")" = 3 ] || fail "update was not tried again: $(cat "$tmp/calls")"
grep -q "install .*cmake" "$tmp/calls" || fail "cmake was not installed"
grep -q "DPkg::Lock::Timeout" "$tmp/calls" || fail "dpkg's lock is not waited for"

# another failure is not waited for
rm -f "$tmp/calls" "$tmp/busy"; echo 2 >"$tmp/busy"
FAIL_INSTALL=1 PATH="$tmp/bin:$PATH" expect 1 sh "$script"
says "Unable to locate package"

# the wait has an end
rm -f "$tmp/calls"; echo -99 >"$tmp/busy"
AD_APT_WAIT=0 PATH="$tmp/bin:$PATH" expect 1 sh "$script"
says "Could not get lock"
echo "cli_deps: ok"
