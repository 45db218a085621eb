# Thin wrapper over CMake. `make` builds (Release) to build/ariadne; `make test` runs the
# whole suite twice (Release, then AddressSanitizer + UndefinedBehaviorSanitizer), the
# threaded tests under ThreadSanitizer, and every fuzz target for a bounded time;
# `make demo` runs the main job on the bundled benign samples.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build test test-release test-asan test-tsan fuzz demo bench clean format

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
TSAN_TESTS = '^(test_index|test_store|test_util|cli_hash|cli_vpdq|cli_ingest|cli_match)$$'
test-tsan: deps
	@cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAD_TSAN=ON >/dev/null
	@cmake --build build-tsan -j $(JOBS)
	@./scripts/run-tests build-tsan -R $(TSAN_TESTS)

# every libFuzzer target for AD_FUZZ_SECONDS (default 20) each; findings become regressions
fuzz: deps
	@./scripts/fuzz

demo: build
	@./scripts/demo

bench: build
	@./scripts/bench

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan
