# Thin wrapper over CMake. `make` builds (Release) to build/ariadne; `make test` runs the
# whole suite twice (Release, then AddressSanitizer + UndefinedBehaviorSanitizer);
# `make demo` runs the main job on the bundled benign samples; `make fuzz` (part of `make test`)
# runs every fuzz target for a bounded time.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build test test-release test-asan fuzz demo bench clean format

all: build

deps:
	@./scripts/install-deps

build: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build build -j $(JOBS)

test: deps test-release test-asan fuzz

test-release: build
	@./scripts/run-tests build

test-asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAD_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@./scripts/run-tests build-asan

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
