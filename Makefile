# The two commands a new user needs (see README.md):
#   make run   installs what is missing, builds, and starts the twin with the demo scenario
#   make test  installs what is missing, builds with sanitizers, and runs every test
BUILD      ?= build/release
TEST_BUILD ?= build/asan
RUN_ARGS   ?= --scenario demo --speed 60

.PHONY: run test build test-build deps bench clean

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

test: test-build
	cd $(TEST_BUILD) && ctest --output-on-failure --timeout 600 -j2

bench: build
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DAMBI_BENCH=ON >/dev/null
	@cmake --build $(BUILD)
	$(BUILD)/bench/year_bench

clean:
	rm -rf build
