# procthread - the single entry point. Every target bootstraps the Debian
# packages it needs first, so `make run` and `make test` are the whole set-up
# on a fresh Debian 12 machine.

BUILD      ?= build
PREFIX     ?= /usr/local
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=
CTEST_ARGS ?=

CONFIGURE = cmake -S . -G Ninja -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_ARGS)
SOURCES   = $(shell git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')

.PHONY: all bootstrap build run test asan tsan format format-check install clean
.PHONY: lint valgrind fuzz soak

all: build

bootstrap:
	@./scripts/bootstrap.sh

$(BUILD)/build.ninja: | bootstrap
	$(CONFIGURE) -B $(BUILD)

build: bootstrap $(BUILD)/build.ninja
	@cmake --build $(BUILD) -j $(JOBS)

# The main job: the benchmark's quick profile (under a minute on 2 CPUs),
# its table and Summary on stdout, its results kept in results/quick.json
# for `procthread compare`, and the report of them, results/report.html,
# whose path is the last line. A case that failed still leaves a report of
# the others. The set-up and the build (of the tool and its peer programs,
# not the tests) are quiet: their
# output goes to $(BUILD)/build.log, whose last 30 lines show on failure.
RESULTS ?= results
run:
	@mkdir -p $(BUILD); log=$(BUILD)/build.log; \
	echo "procthread: setting up and building (log: $$log)"; \
	if ! { ./scripts/bootstrap.sh && \
	       { [ -f $(BUILD)/build.ninja ] || $(CONFIGURE) -B $(BUILD); } && \
	       cmake --build $(BUILD) -j $(JOBS) --target tool; \
	     } >$$log 2>&1 </dev/null; then \
		echo "procthread: the set-up or build failed; the last 30 lines of $$log:" >&2; \
		tail -n 30 $$log >&2; exit 1; \
	fi
	@mkdir -p $(RESULTS); rm -f $(RESULTS)/report.html; status=0; \
	./$(BUILD)/procthread bench --quick --json $(RESULTS)/quick.json \
		--html $(RESULTS)/report.html || status=$$?; \
	if [ -f $(RESULTS)/report.html ]; then \
		echo "report: $(abspath $(RESULTS))/report.html"; fi; \
	exit $$status

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

asan: bootstrap
	@$(MAKE) --no-print-directory test BUILD=build-asan \
		CMAKE_ARGS="-DPT_SANITIZE=address -DCMAKE_BUILD_TYPE=Debug"

tsan: bootstrap
	@$(MAKE) --no-print-directory test BUILD=build-tsan \
		CMAKE_ARGS="-DPT_SANITIZE=thread -DCMAKE_BUILD_TYPE=Debug"

# Hardening checks (scripts/lint.sh, scripts/valgrind.sh say what and why);
# their tools come with `scripts/bootstrap.sh --optional`.
lint: build
	./scripts/lint.sh $(BUILD)

valgrind: build
	./scripts/valgrind.sh $(BUILD)

# The fault-injection soak (tests/soak/soak.c): SOAK_TASKS through a
# process pool with 5% faults, and its ledger (CI: 10,000); then the
# fault-schedule test (tests/faults/) for up to FAULT_SCHEDULES schedules or
# FAULT_BUDGET seconds (CI: 120 s). A failing schedule prints its replay.
SOAK_TASKS      ?= 100000
SOAK_SEED       ?= $(shell date +%s)
FAULT_SCHEDULES ?= 5000
FAULT_BUDGET    ?= 1800
soak: build
	./$(BUILD)/tests/pt_soak --tasks $(SOAK_TASKS) --seed $(SOAK_SEED)
	./$(BUILD)/tests/pt_faults --seed $(SOAK_SEED) \
		--schedules $(FAULT_SCHEDULES) --budget $(FAULT_BUDGET)

# libFuzzer targets (fuzz/), built with clang in build-fuzz/; each runs
# FUZZ_SECONDS (CI: 60).
FUZZ_SECONDS ?= 600
fuzz: bootstrap
	@$(MAKE) --no-print-directory build BUILD=build-fuzz \
		CMAKE_ARGS="-DPT_FUZZ=ON -DCMAKE_C_COMPILER=clang -DBUILD_TESTING=OFF"
	./scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)

format:
	clang-format -i $(SOURCES)

format-check:
	clang-format --dry-run -Werror $(SOURCES)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf build build-asan build-tsan build-fuzz
