#!/usr/bin/env bash
# cli_install.sh: `make install` from the build folder (cmake --install, as the Makefile runs
# it) into a temporary prefix and under a DESTDIR: the program, libariadne (static and shared,
# with its SONAME), the public headers, ariadne.pc, the man pages (rendered by man) and the bash
# completion (completing a command); a small C program built with `pkg-config --cflags --libs
# ariadne` against the installed library runs.
set -u
tmp=$AD_TEST_TMP/cli_install
rm -rf "$tmp" && mkdir -p "$tmp"
. "$AD_TEST_DATA/lib.sh"
build=$(cd "$(dirname "$ARIADNE")" && pwd)
p=$tmp/prefix

cmake --install "$build" --prefix "$p" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "install"; }
for f in bin/ariadne lib/libariadne.a lib/libariadne.so lib/pkgconfig/ariadne.pc \
  include/ariadne/store.h include/ariadne/version.h share/man/man1/ariadne.1 \
  share/bash-completion/completions/ariadne; do
  [ -e "$p/$f" ] || fail "not installed: $f"
done
readelf -d "$p/lib/libariadne.so" | grep -q 'SONAME.*\[libariadne\.so\.[0-9]*\.[0-9]*\]' ||
  fail "libariadne.so has no SONAME"
expect 0 "$p/bin/ariadne" --version
has "^ariadne [0-9]"

# a man page for the program and for each command, which man renders
commands=$("$ARIADNE" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
[ -n "$commands" ] || fail "no commands in --help"
for c in $commands; do
  [ -s "$p/share/man/man1/ariadne-$c.1" ] || fail "no man page ariadne-$c.1"
done
MANWIDTH=100 man -l "$p/share/man/man1/ariadne-series.1" >"$tmp/man.txt" 2>"$tmp/man.err" ||
  fail "man -l: $(cat "$tmp/man.err")"
grep -q "^NAME" "$tmp/man.txt" && grep -q "ariadne  *series  *link  *SERIES" "$tmp/man.txt" ||
  { cat "$tmp/man.txt"; fail "ariadne-series(1) as rendered"; }
MANWIDTH=100 man -l "$p/share/man/man1/ariadne.1" >"$tmp/man.txt" 2>/dev/null
grep -q "ARIADNE_DB" "$tmp/man.txt" && grep -q "ariadne-ingest(1)" "$tmp/man.txt" ||
  { cat "$tmp/man.txt"; fail "ariadne(1) lacks its ENVIRONMENT or SEE ALSO"; }

# the completion, as bash-completion loads it
complete_words() { # WORD...: what the completion offers for the last word
  bash -c 'source "$1"; shift; complete -p ariadne >/dev/null || exit 1
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ariadne; echo "${COMPREPLY[*]}"' \
    _ "$p/share/bash-completion/completions/ariadne" "$@"
}
[ "$(complete_words ariadne seri)" = series ] || fail "completion of a command"
[ "$(complete_words ariadne --db x.db series li)" = "list link" ] || fail "completion of a sub-command"
[ "$(complete_words ariadne series link S --cre)" = --create ] || fail "completion of an option"
[ "$(complete_words ariadne user add u --role inv)" = investigator ] || fail "completion of a value"
mkdir -p "$tmp/files" && touch "$tmp/files/seizure one.zip"
[ "$(cd "$tmp/files" && complete_words ariadne ingest sei)" = "seizure one.zip" ] ||
  fail "completion of a path"

# a C program against the installed library, with pkg-config
cat >"$tmp/tiny.c" <<'EOF'
#include <stdio.h>
EOF
for h in "$p"/include/ariadne/*.h; do echo "#include <ariadne/$(basename "$h")>" >>"$tmp/tiny.c"; done
cat >>"$tmp/tiny.c" <<'EOF'
int main(int argc, char **argv)
{
    ad_h256 a, b;
    ad_err err;
    ad_store *st;
    int version = 0;
    (void)argc;
    if (ad_h256_parse(&a, "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22", 64,
                      &err) ||
        ad_h256_parse(&b, "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b23", 64,
                      &err) ||
        ad_store_open(&st, argv[1], AD_STORE_CREATE, &err) ||
        ad_store_schema_version(st, &version, &err)) {
        fprintf(stderr, "tiny: %s\n", err.msg);
        return 1;
    }
    ad_store_close(st);
    printf("ariadne %s distance %d schema %d bad hash: %s\n", AD_VERSION, ad_h256_distance(&a, &b),
           version, ad_code_name(ad_h256_parse(&a, "zz", 2, &err)));
    return 0;
}
EOF
export PKG_CONFIG_PATH=$p/lib/pkgconfig
pkg-config --exists ariadne || fail "pkg-config does not find ariadne.pc"
[ "$(pkg-config --modversion ariadne)" = "$("$ARIADNE" --version | cut -d' ' -f2)" ] ||
  fail "ariadne.pc version"
san=()
readelf -d "$p/lib/libariadne.so" | grep -q libasan && san=(-fsanitize=address,undefined)
# shellcheck disable=SC2046
cc -std=c17 -Wall -Wextra -Werror "${san[@]}" $(pkg-config --cflags ariadne) "$tmp/tiny.c" \
  -o "$tmp/tiny" $(pkg-config --libs ariadne) 2>"$tmp/cc.err" || { cat "$tmp/cc.err"; fail "cc (shared)"; }
LD_LIBRARY_PATH=$p/lib expect 0 "$tmp/tiny" "sqlite:$tmp/tiny.db"
has "distance 1 schema [0-9]* bad hash: "
LD_LIBRARY_PATH=$p/lib ldd "$tmp/tiny" | grep -q "libariadne.so.*$p/lib" || fail "not linked to the installed libariadne.so"
# and with libariadne.a, the libraries it needs named by ariadne.pc (Requires.private,
# Libs.private; linked shared: `pkg-config --static` would want every library's own static deps)
# shellcheck disable=SC2046
cc -std=c17 "${san[@]}" $(pkg-config --cflags ariadne) "$tmp/tiny.c" -o "$tmp/tiny-static" \
  -L"$p/lib" -l:libariadne.a $(pkg-config --libs $(pkg-config --print-requires-private ariadne)) \
  $(sed -n 's/^Libs.private: //p' "$p/lib/pkgconfig/ariadne.pc") 2>"$tmp/cc.err" ||
  { cat "$tmp/cc.err"; fail "cc (static)"; }
expect 0 "$tmp/tiny-static" "sqlite:$tmp/tiny2.db"
has "distance 1"

# DESTDIR: the files go under it, ariadne.pc names the real prefix
DESTDIR=$tmp/dest cmake --install "$build" --prefix /opt/ariadne >/dev/null 2>&1 || fail "DESTDIR install"
[ -x "$tmp/dest/opt/ariadne/bin/ariadne" ] || fail "DESTDIR: no program"
grep -q "^prefix=/opt/ariadne$" "$tmp/dest/opt/ariadne/lib/pkgconfig/ariadne.pc" || fail "DESTDIR: ariadne.pc prefix"
echo "cli_install: ok"
