#!/usr/bin/env bash
# Builds the libFuzzer targets with clang, ASan and UBSan into build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAD_SANITIZE=ON \
  -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link -Wno-unknown-pragmas" >/dev/null
cmake --build build-fuzz --target ariadne_lib -j "$(nproc)"
# every library libariadne links: the pkg-config modules of CMakeLists.txt's AD_PKG_DEPS
MODS=$(sed -n '/^set(AD_PKG_DEPS/,/)/p' CMakeLists.txt | sed 's/set(AD_PKG_DEPS//; s/)//')
LIBS=$(pkg-config --libs $MODS)
for f in fuzz/fuzz_*.c; do
  name=$(basename "$f" .c)
  clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc "$f" build-fuzz/libariadne.a \
    $LIBS -lgif -lm -lpthread -lopencv_features2d -lopencv_imgproc -lopencv_core -lstdc++ \
    -o "build-fuzz/$name"
done
echo "built: $(ls build-fuzz/fuzz_*)"
