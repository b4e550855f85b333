# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
#
# `make demo` and `make test` do all set-up on a fresh Debian 12 machine
# (as root): packages, deb-src + DPDK source package, hugepages, build.
#
# Which DPDK (README.md, "Choosing the DPDK"):
#   DPDK=system  whatever `pkg-config libdpdk` finds: Debian 12's 22.11, or
#                your own through PKG_CONFIG_PATH (the default)
#   DPDK=24.11   the LTS built from ../shared/dpdk by scripts/dpdk-lts.sh
#   DPDK=25.11   into a cache outside the checkout (MANA_DPDK_CACHE)
# Each choice has build directories of its own (build, build-24.11, ...); a
# directory configured for another DPDK than the one found now is configured
# again (scripts/meson-setup.sh), never silently built against the old one.

DPDK ?= system
ifeq ($(DPDK),system)
SUFFIX :=
else
SUFFIX := -$(DPDK)
endif

BUILD ?= build$(SUFFIX)
BUILD_CLANG ?= build-clang$(SUFFIX)
BUILD_ASAN ?= build-asan$(SUFFIX)
BUILD_FUZZ ?= build-fuzz$(SUFFIX)
BUILD_STDATOMIC ?= build-stdatomic$(SUFFIX)
BUILD_COV ?= build-coverage$(SUFFIX)
FUZZ_SECONDS ?= 60
PYTEST ?= /usr/bin/python3 -m pytest
PYTEST_ARGS ?= -q
LTS_VERSIONS ?= 24.11 25.11

.PHONY: all setup build build-clang build-asan build-fuzz build-stdatomic test test-unit \
	test-pytest test-lts asan fuzz demo bench coverage clean

all: build

setup:
	./scripts/setup.sh

# Every build target first makes sure its directory is configured for
# $(DPDK) (scripts/meson-setup.sh: builds or finds an LTS, reconfigures a
# directory that was configured for another DPDK), then builds.
build: setup
	./scripts/meson-setup.sh $(DPDK) $(BUILD)
	ninja -C $(BUILD)

# clang with -Wthread-safety: the lock discipline is checked at build time.
build-clang: setup
	CC=clang ./scripts/meson-setup.sh $(DPDK) $(BUILD_CLANG)
	ninja -C $(BUILD_CLANG)

build-asan: setup
	CC=clang ./scripts/meson-setup.sh $(DPDK) $(BUILD_ASAN) \
		-Db_sanitize=address,undefined -Db_lundef=false
	ninja -C $(BUILD_ASAN)

build-fuzz: setup
	CC=clang ./scripts/meson-setup.sh $(DPDK) $(BUILD_FUZZ) -Dfuzz=true \
		-Db_sanitize=address,undefined -Db_lundef=false
	ninja -C $(BUILD_FUZZ) tests/fuzz/fuzz_mp app/mana-traffic sim/libmana_sim.so \
		tests/tools/llvm-symbolizer

# C11 atomics as DPDK's enable_stdatomic builds use them: clang then refuses
# an atomic operation on anything not declared RTE_ATOMIC(). Compile only
# (DPDK >= 23.11; with 22.11 RTE_ATOMIC() is always the plain type).
build-stdatomic: setup
	CC=clang ./scripts/meson-setup.sh $(DPDK) $(BUILD_STDATOMIC) -Dstdatomic_check=true
	ninja -C $(BUILD_STDATOMIC)

test-unit: build
	meson test -C $(BUILD) --suite unit --print-errorlogs

test-pytest: build
	MANA_BUILD=$(abspath $(BUILD)) $(PYTEST) tests/pytest $(PYTEST_ARGS)

test: build build-clang
	$(MAKE) test-unit test-pytest DPDK=$(DPDK)

# The same suite against the LTS releases besides the distribution's (make
# test), each in build directories of its own, plus the C11-atomics check
# and a short run of both fuzzers. Every version runs; any failure fails.
test-lts: setup
	failed=""; for v in $(LTS_VERSIONS); do \
		$(MAKE) test build-stdatomic DPDK=$$v && \
		$(MAKE) fuzz DPDK=$$v FUZZ_SECONDS=$${LTS_FUZZ_SECONDS:-10} || \
		failed="$$failed $$v"; \
	done; \
	if [ -n "$$failed" ]; then echo "test-lts: failed against DPDK$$failed" >&2; exit 1; fi

# The suite under AddressSanitizer + UndefinedBehaviorSanitizer, then the
# IPC fuzzer (itself built with ASan/UBSan).
asan: build-asan
	meson test -C $(BUILD_ASAN) --suite unit --print-errorlogs
	MANA_BUILD=$(abspath $(BUILD_ASAN)) MANA_SANITIZE=1 $(PYTEST) tests/pytest $(PYTEST_ARGS)
	$(MAKE) fuzz DPDK=$(DPDK)

# libFuzzer on the rte_mp handlers of both process types.
# Each side's handler is fuzzed in its own process type (FUZZ_SECONDS each).
# The primary side uses no hugepages and no shared files; the secondary side
# runs a primary under a prefix of its own, removed whatever happened.
# Both run on the software MANA VF, each on an instance of its own.
FUZZ_VF = LD_PRELOAD=$$PWD/sim/libmana_sim.so \
	ASAN_SYMBOLIZER_PATH=$$PWD/tests/tools/llvm-symbolizer \
	MANA_SIM="instance=$$inst;fn=7870:00:00.0,mac2=00:15:5d:10:00:02"
fuzz: build-fuzz
	python3 tests/fuzz/seeds.py $(BUILD_FUZZ)/fuzz-corpus
	cd $(BUILD_FUZZ) && { inst=fzpri$$$$; \
		$(FUZZ_VF) MANA_FUZZ_SIDE=primary ./tests/fuzz/fuzz_mp \
		-max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 fuzz-corpus/primary; \
		status=$$?; rm -rf /run/mana-sim/$$inst; exit $$status; }
	cd $(BUILD_FUZZ) && { prefix=fzmp$$$$; inst=$$prefix; \
		$(FUZZ_VF) MANA_FUZZ_SIDE=secondary MANA_FUZZ_PREFIX=$$prefix \
		MANA_FUZZ_PRIMARY=$$PWD/app/mana-traffic ./tests/fuzz/fuzz_mp \
		-max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 fuzz-corpus/secondary; \
		status=$$?; rm -rf /var/run/dpdk/$$prefix /dev/hugepages/$${prefix}map_* \
			/run/mana-sim/$$inst; \
		exit $$status; }

# Line coverage of every driver file by the suite (gcov; figures in doc/coverage.rst).
coverage: setup
	./scripts/meson-setup.sh $(DPDK) $(BUILD_COV) -Db_coverage=true
	ninja -C $(BUILD_COV)
	COVERAGE_OUT=$${COVERAGE_OUT:-out/coverage$(SUFFIX)} ./scripts/coverage.sh $(BUILD_COV)

demo: build
	./scripts/demo.sh $(BUILD)

bench: build
	BENCH_OUT=$${BENCH_OUT:-out/bench$(SUFFIX)} ./scripts/bench.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_CLANG) $(BUILD_ASAN) $(BUILD_FUZZ) $(BUILD_STDATOMIC) $(BUILD_COV) \
		build build-clang build-asan build-fuzz build-stdatomic build-coverage \
		$(foreach v,$(LTS_VERSIONS),build-$(v) build-clang-$(v) build-asan-$(v) \
		build-fuzz-$(v) build-stdatomic-$(v) build-coverage-$(v))
