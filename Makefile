# ksegdoctor - offline inspector and repair tool for Kafka log dirs.
#
#   make            build build/ksegdoctor (and the fixture generator)
#   make check      install missing deps, build, run every test, then again
#                   under ASan+UBSan, and replay the fuzz corpora
#   make demo       install missing deps, build, generate a sample broker log
#                   dir under build/demo and scan it
#   make install    PREFIX=/usr/local DESTDIR=
#   make fuzz       build libFuzzer targets (clang) into build/fuzz
#   make bench      run scripts/bench.sh (needs hyperfine)
#
# BUILD selects the output folder; SAN=1 builds with ASan+UBSan.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/ksegdoctor
DESTDIR ?=

BUILD ?= build
CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS := zlib libdeflate liblz4 libzstd snappy libcrypto

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wno-unused-parameter -Wformat=2 -Wvla
ifeq ($(CI),true)
WARN += -Werror
endif
ifeq ($(SAN),1)
CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
          -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

DEP_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
DEP_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lpthread -lm
CMOCKA_CFLAGS := $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Iinclude -Isrc \
              $(WARN) $(CFLAGS) $(DEP_CFLAGS) -MMD -MP

CORE_SRC := $(sort $(wildcard src/core/*.c))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
GEN_LIB_SRC := $(sort $(filter-out src/gen/main.c,$(wildcard src/gen/*.c)))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
GEN_LIB_OBJ := $(GEN_LIB_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/replay/%)

LIBKSD := $(BUILD)/libksd.a
LIBGEN := $(BUILD)/libksdgen.a
BIN := $(BUILD)/ksegdoctor
GEN := $(BUILD)/ksd-gen

.PHONY: all check check-fast test test-unit test-cli test-crash test-real test-fuzz-replay test-docs test-xcheck \
        asan demo deps install uninstall clean fuzz bench docs
.DEFAULT_GOAL := all
# Keep object files of test and fuzz binaries (make would delete them as
# intermediates and rebuild them on every run).
.SECONDARY:

all: $(BIN) $(GEN)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIBKSD): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBGEN): $(GEN_LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIBKSD)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIBKSD) $(DEP_LIBS)

$(GEN): $(BUILD)/obj/src/gen/main.o $(LIBGEN) $(LIBKSD)
	$(CC) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIBGEN) $(LIBKSD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(DEP_LIBS)

$(BUILD)/obj/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CMOCKA_CFLAGS) -c $< -o $@

# Replay drivers: each fuzz target linked with a plain main() that feeds it
# every file of testdata/fuzz/<target>/, so `make check` runs the saved
# corpus and every past crash reproducer without libFuzzer.
$(BUILD)/replay/%: $(BUILD)/obj/tests/fuzz/%.o $(BUILD)/obj/tests/fuzz/replay_main.o $(LIBGEN) $(LIBKSD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

# Crash suite: a test-only driver into the quarantine engine (with the
# CLI's KSEGDOCTOR_FAULT hook) and tests/crash/run.py over it.
QDRIVER := $(BUILD)/tests/qdriver
$(QDRIVER): $(BUILD)/obj/tests/crash/qdriver.o $(BUILD)/obj/src/cli/qfault.o $(LIBKSD)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

# --- dependencies ---------------------------------------------------------
deps:
	@scripts/install-deps.sh

# --- tests ----------------------------------------------------------------
test-unit: $(UNIT_BIN)
	@scripts/run-unit-tests.sh $(UNIT_BIN)

test-cli: $(BIN) $(GEN)
	@KSD=$(abspath $(BIN)) KSD_GEN=$(abspath $(GEN)) tests/cli/run.sh

test-real: $(BIN)
	@KSD=$(abspath $(BIN)) tests/cli/realdata.sh

test-xcheck: $(BIN) $(GEN)
	@KSD=$(abspath $(BIN)) KSD_GEN=$(abspath $(GEN)) tests/xcheck/run.sh

test-crash: $(BIN) $(GEN) $(QDRIVER)
	@KSD=$(abspath $(BIN)) KSD_GEN=$(abspath $(GEN)) QDRIVER=$(abspath $(QDRIVER)) \
	  KSD_CRASH_SANITIZED=$(SAN) /usr/bin/python3 tests/crash/run.py

test-fuzz-replay: $(REPLAY_BIN)
	@scripts/run-replay.sh $(REPLAY_BIN)

test: test-unit test-cli test-real test-xcheck test-crash test-fuzz-replay test-docs

asan:
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 test

# The README's test command: everything, plain and sanitized.
check: deps
	@$(MAKE) --no-print-directory test
	@$(MAKE) --no-print-directory asan
	@echo "make check: all suites passed (plain and ASan+UBSan)"

# --- demo -----------------------------------------------------------------
demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh $(abspath $(BIN)) $(abspath $(GEN)) $(abspath $(BUILD))/demo

# --- fuzzing (needs clang with libFuzzer) ------------------------------------
FUZZ_CC ?= clang
fuzz:
	@$(MAKE) --no-print-directory BUILD=build/fuzzlib CC=$(FUZZ_CC) \
	  CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
	  build/fuzzlib/libksd.a build/fuzzlib/libksdgen.a
	@mkdir -p build/fuzz
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  echo "  FUZZ $$n"; \
	  $(FUZZ_CC) -std=c11 -D_GNU_SOURCE -Iinclude -Isrc -O1 -g \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined $$f build/fuzzlib/libksdgen.a \
	    build/fuzzlib/libksd.a $(DEP_LIBS) -o build/fuzz/$$n || exit 1; done

# docs/checks.md is generated from the problem table.
docs: $(BIN)
	$(BIN) explain --markdown > docs/checks.md

test-docs: $(BIN)
	@$(BIN) explain --markdown | cmp -s - docs/checks.md && echo "docs: 1 passed, 0 failed" || \
	  { echo "docs: docs/checks.md is stale; run 'make docs'"; echo "docs: 0 passed, 1 failed"; exit 1; }

bench: all
	@scripts/bench.sh

# What each directory-level analysis (sizes, scan, preflight, recovery,
# compaction) costs on the same 1.5 GB dir.
.PHONY: bench-diagnosis
bench-diagnosis: all
	@scripts/bench-diagnosis.sh

# Codec throughput: the libraries vs ksd_decode vs deep record iteration.
$(BUILD)/codec_bench: $(BUILD)/obj/tests/bench/codec_bench.o $(LIBKSD)
	$(CC) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

.PHONY: bench-codecs
bench-codecs: $(BUILD)/codec_bench $(GEN)
	@CODEC_BENCH=$(abspath $(BUILD)/codec_bench) KSD_GEN=$(abspath $(GEN)) scripts/bench-codecs.sh

# --- install --------------------------------------------------------------
install: $(BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/ksegdoctor
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	if [ -f docs/checks.md ]; then install -m 0644 docs/checks.md $(DESTDIR)$(DOCDIR)/checks.md; fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ksegdoctor
	rm -rf $(DESTDIR)$(DOCDIR)

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
