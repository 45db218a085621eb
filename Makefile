# Thin wrapper over CMake. `make` builds (Release) to build/ariadne; `make test` runs the
# whole suite twice (Release, then AddressSanitizer + UndefinedBehaviorSanitizer);
# `make demo` runs the main job on the bundled benign samples.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build test test-release test-asan demo bench clean format

all: build

deps:
	@./scripts/install-deps

build: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build build -j $(JOBS)

test: deps test-release test-asan

test-release: build
	@./scripts/run-tests build

test-asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAD_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@./scripts/run-tests build-asan

demo: build
	@./scripts/demo

bench: build
	@./scripts/bench

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan
