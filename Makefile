# Thin wrapper over CMake. `make` builds (Release) to build/ariadne; `make test` runs the
# whole suite twice (Release, then AddressSanitizer + UndefinedBehaviorSanitizer), the
# threaded tests under ThreadSanitizer, and every fuzz target for a bounded time;
# `make demo` runs the main job on the bundled benign samples; `make install` installs the
# program, libariadne (static and shared), its headers, ariadne.pc, the man pages and the bash
# completion under PREFIX (default /usr/local), staged under DESTDIR when given.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX ?= /usr/local

.PHONY: all deps build test test-release test-asan test-tsan fuzz demo bench clean format \
        install uninstall screenshots

all: build

deps:
	@./scripts/install-deps

build: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build build -j $(JOBS)

test: deps test-release test-asan test-tsan fuzz

test-release: build
	@./scripts/run-tests build

test-asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAD_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@./scripts/run-tests build-asan

# the tests of threaded code (hashing pool, ingest pipeline, index build and batch search,
# concurrent store writers) under ThreadSanitizer
TSAN_TESTS = '^(test_index|test_live|test_store|test_util|test_hash|cli_hash|cli_vpdq|cli_ingest|cli_ingest_memory|cli_match|cli_thumbs|cli_fed_sync|test_fed_push|cli_video_features)$$'
test-tsan: deps
	@cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAD_TSAN=ON >/dev/null
	@cmake --build build-tsan -j $(JOBS)
	@./scripts/run-tests build-tsan -R $(TSAN_TESTS)

# every libFuzzer target for AD_FUZZ_SECONDS (default 20) each; findings become regressions
fuzz: deps
	@./scripts/fuzz

demo: build
	@./scripts/demo

# the web interface's screenshots in the README (docs/screenshots/), taken by its browser test
screenshots: build
	@AD_WEB_SHOTS=$(CURDIR)/docs/screenshots ARIADNE=$(CURDIR)/build/ariadne \
	  AD_TEST_TMP=$(CURDIR)/build/tests/tmp bash tests/web/run.sh

bench: build
	@./scripts/install-deps --bench
	@./scripts/bench

install: build
	@DESTDIR="$(DESTDIR)" cmake --install build --prefix "$(PREFIX)"

# removes what the last `make install` wrote (build/install_manifest.txt; same DESTDIR)
uninstall:
	@[ -f build/install_manifest.txt ] || { echo "nothing installed from build/" >&2; exit 1; }
	@sed 's|^|$(DESTDIR)|' build/install_manifest.txt | xargs -d '\n' rm -fv

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-tsan build-fuzz
