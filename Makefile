# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 mana-mp-reset authors
#
# `make demo` and `make test` do all set-up on a fresh Debian 12 machine
# (as root): packages, deb-src + DPDK source package, hugepages, build.

BUILD ?= build
BUILD_CLANG ?= build-clang
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
FUZZ_SECONDS ?= 60
PYTEST ?= /usr/bin/python3 -m pytest
PYTEST_ARGS ?= -q

.PHONY: all setup build build-clang build-asan test test-unit test-pytest asan fuzz demo bench clean

all: build

setup:
	./scripts/setup.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD)

$(BUILD_CLANG)/build.ninja:
	CC=clang meson setup $(BUILD_CLANG)

$(BUILD_FUZZ)/build.ninja:
	CC=clang meson setup $(BUILD_FUZZ) -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false

$(BUILD_ASAN)/build.ninja:
	CC=clang meson setup $(BUILD_ASAN) -Db_sanitize=address,undefined -Db_lundef=false

build: setup $(BUILD)/build.ninja
	ninja -C $(BUILD)

# clang with -Wthread-safety: the lock discipline is checked at build time.
build-clang: setup $(BUILD_CLANG)/build.ninja
	ninja -C $(BUILD_CLANG)

build-asan: setup $(BUILD_ASAN)/build.ninja
	ninja -C $(BUILD_ASAN)

test-unit: build
	meson test -C $(BUILD) --suite unit --print-errorlogs

test-pytest: build
	MANA_BUILD=$(abspath $(BUILD)) $(PYTEST) tests/pytest $(PYTEST_ARGS)

test: build build-clang
	$(MAKE) test-unit test-pytest

# The suite under AddressSanitizer + UndefinedBehaviorSanitizer, then the
# IPC fuzzer (itself built with ASan/UBSan).
asan: build-asan
	meson test -C $(BUILD_ASAN) --suite unit --print-errorlogs
	MANA_BUILD=$(abspath $(BUILD_ASAN)) MANA_SANITIZE=1 $(PYTEST) tests/pytest $(PYTEST_ARGS)
	$(MAKE) fuzz

# libFuzzer on the rte_mp handlers of both process types.
# Each side's handler is fuzzed in its own process type (FUZZ_SECONDS each).
# The primary side uses no hugepages and no shared files; the secondary side
# runs a primary under a prefix of its own, removed whatever happened.
fuzz: setup $(BUILD_FUZZ)/build.ninja
	ninja -C $(BUILD_FUZZ) tests/fuzz/fuzz_mp app/mana-traffic
	python3 tests/fuzz/seeds.py $(BUILD_FUZZ)/fuzz-corpus
	cd $(BUILD_FUZZ) && MANA_FUZZ_SIDE=primary ./tests/fuzz/fuzz_mp \
		-max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 fuzz-corpus/primary
	cd $(BUILD_FUZZ) && { prefix=fzmp$$$$; \
		MANA_FUZZ_SIDE=secondary MANA_FUZZ_PREFIX=$$prefix \
		MANA_FUZZ_PRIMARY=$$PWD/app/mana-traffic ./tests/fuzz/fuzz_mp \
		-max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 fuzz-corpus/secondary; \
		status=$$?; rm -rf /var/run/dpdk/$$prefix /dev/hugepages/$${prefix}map_*; \
		exit $$status; }

demo: build
	./scripts/demo.sh $(BUILD)

bench: build
	./scripts/bench.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_CLANG) $(BUILD_ASAN) $(BUILD_FUZZ)
