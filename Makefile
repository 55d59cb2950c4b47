# The two commands a new user needs (see README.md):
#   make run   installs what is missing, builds, and starts the twin with the demo scenario
#   make test  installs what is missing, builds with sanitizers, and runs every test
BUILD      ?= build/release
TEST_BUILD ?= build/asan
FUZZ_BUILD ?= build/fuzz
FUZZ_SECONDS ?= 600
RUN_ARGS   ?= --scenario demo --speed 60

.PHONY: run test build test-build deps bench clean fuzz-build fuzz-smoke fuzz bench-modbus bench-audit lint

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DAMBI_TESTS=OFF >/dev/null
	@cmake --build $(BUILD)

run: build
	$(BUILD)/ambimeter run $(RUN_ARGS)

test-build: deps
	@cmake -S . -B $(TEST_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DAMBI_SANITIZE=ON >/dev/null
	@cmake --build $(TEST_BUILD)

fuzz-build: deps
	@cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_CXX_COMPILER=clang++-19 -DAMBI_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD)

# Every fuzzer for 15 s each, from the seed corpus (a smoke run; `make fuzz` runs longer).
fuzz-smoke: fuzz-build
	cd $(FUZZ_BUILD) && ctest --output-on-failure -j2

fuzz: fuzz-build
	cd $(FUZZ_BUILD) && for f in fuzz/fuzz_*; do \
	  $$f -max_total_time=$(FUZZ_SECONDS) fuzz/corpus/$$(basename $$f) $(CURDIR)/fuzz/corpus/$$(basename $$f) || exit 1; done

test: test-build fuzz-smoke
	cd $(TEST_BUILD) && ctest --output-on-failure --timeout 600 -j2

# The declared style: clang-format-19, clang-tidy-19 and eslint (scripts/lint.sh); CI runs it.
lint: deps
	@bash scripts/lint.sh

bench: build
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DAMBI_BENCH=ON >/dev/null
	@cmake --build $(BUILD)
	$(BUILD)/bench/year_bench

bench-modbus: build
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DAMBI_BENCH=ON >/dev/null
	@cmake --build $(BUILD)
	/usr/bin/python3 bench/modbus_bench.py $(BUILD)

# The poll audit's cost: a twin with the audit on against one with --audit off, alternated.
bench-audit: build
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DAMBI_BENCH=ON >/dev/null
	@cmake --build $(BUILD)
	/usr/bin/python3 bench/audit_bench.py $(BUILD)

clean:
	rm -rf build
