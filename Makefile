# ragtop — build, test and operator targets, in one file read top to bottom:
#   1. settings and the dependency check
#   2. build rules (librag + the three programs), unit tests, fuzzers
#   3. test targets
#   4. operator targets (validate, ingest, api, stop, status, console, ...)
# `make help` lists the targets a user runs.

SHELL         := /bin/bash
.DEFAULT_GOAL := all
.SUFFIXES:
.SECONDARY:

# ---------------------------------------------------------------- settings
SAN        ?= 0
BUILD_ROOT ?= build
ifeq ($(SAN),1)
BUILD    := $(BUILD_ROOT)/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
BUILD    := $(BUILD_ROOT)
SANFLAGS :=
endif
BIN      := $(BUILD)/bin
CONFIG   ?= config/params.yaml
SERVICES ?= services.yml
PREFIX   ?= /usr/local
DESTDIR  ?=

PKGS := ncursesw libcurl libcjson yaml-0.1 libmicrohttpd sqlite3 libcrypto cmocka

# Dependencies are installed automatically, once, only when something the
# build or the tests need is missing (scripts/deps.sh --check says so).
NODEPS_GOALS := clean help deps uninstall
ifneq ($(filter-out $(NODEPS_GOALS),$(or $(MAKECMDGOALS),all)),)
ifneq ($(shell bash scripts/deps.sh --check >/dev/null 2>&1 && echo ok),ok)
$(info ragtop: build or test dependencies are missing; running scripts/deps.sh)
DEPS_RC := $(shell bash scripts/deps.sh 1>&2; echo $$?)
ifneq ($(DEPS_RC),0)
$(error scripts/deps.sh failed (exit $(DEPS_RC)); see its message above)
endif
endif
endif

CC       ?= cc
CFLAGS   := -std=gnu11 -Wall -Wextra -Werror -O2 -g -D_GNU_SOURCE -Iinclude -MMD -MP \
            $(SANFLAGS) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS  := $(SANFLAGS)
LIBS     := $(shell pkg-config --libs $(filter-out cmocka,$(PKGS)) 2>/dev/null) -lpthread -lm
TESTLIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

# ---------------------------------------------------------------- build
obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

CORE_SRC   := $(wildcard src/core/*.c)
INGEST_SRC := $(filter-out src/ingest/main.c,$(wildcard src/ingest/*.c))
API_SRC    := $(filter-out src/api/main.c,$(wildcard src/api/*.c))
RAGTOP_SRC := $(filter-out src/ragtop/main.c,$(wildcard src/ragtop/*.c))

LIBRAG    := $(BUILD)/lib/librag.a
LIBINGEST := $(if $(INGEST_SRC),$(BUILD)/lib/libingest.a)
LIBAPI    := $(if $(API_SRC),$(BUILD)/lib/libapi.a)
LIBRAGTOP := $(if $(RAGTOP_SRC),$(BUILD)/lib/libragtop.a)
ALL_LIBS  := $(LIBRAGTOP) $(LIBAPI) $(LIBINGEST) $(LIBRAG)

PROGRAMS := $(if $(wildcard src/ingest/main.c),$(BIN)/rag-ingest) \
            $(if $(wildcard src/api/main.c),$(BIN)/rag-api) \
            $(if $(wildcard src/ragtop/main.c),$(BIN)/ragtop)

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
# Helper programs used by integration tests (tests/helpers/*.c, one file each).
HELPER_SRC := $(wildcard tests/helpers/*.c)
HELPERS    := $(patsubst tests/helpers/%.c,$(BUILD)/tests/helpers/%,$(HELPER_SRC))

.PHONY: all
all: $(PROGRAMS) ## build librag and every program into build/

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIBRAG): $(call obj,$(CORE_SRC))
$(BUILD)/lib/libingest.a: $(call obj,$(INGEST_SRC))
$(BUILD)/lib/libapi.a: $(call obj,$(API_SRC))
$(BUILD)/lib/libragtop.a: $(call obj,$(RAGTOP_SRC))
$(BUILD)/lib/%.a:
	@mkdir -p $(@D)
	@rm -f $@
	ar rcs $@ $^

$(BIN)/rag-ingest: $(call obj,src/ingest/main.c) $(LIBINGEST) $(LIBRAG)
$(BIN)/rag-api: $(call obj,src/api/main.c) $(LIBAPI) $(LIBRAG)
$(BIN)/ragtop: $(call obj,src/ragtop/main.c) $(LIBRAGTOP) $(LIBRAG)
$(PROGRAMS):
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/test_%: $(call obj,tests/unit/test_%.c) $(ALL_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(TESTLIBS)

$(BUILD)/tests/helpers/%: $(call obj,tests/helpers/%.c) $(ALL_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# libFuzzer harnesses: tests/fuzz/fuzz_<name>.c, seeds in tests/fuzz/corpus/<name>/.
FUZZ_CC      ?= clang
FUZZ_BUILD   := $(BUILD_ROOT)/fuzz
FUZZ_FLAGS   := -std=gnu11 -g -O1 -D_GNU_SOURCE -Iinclude -fsanitize=fuzzer-no-link,address,undefined \
                $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS      := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(FUZZ_SRC))
FUZZ_LIB_SRC := $(CORE_SRC) $(INGEST_SRC) $(API_SRC) $(RAGTOP_SRC)
FUZZ_SECONDS ?= 5

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(FUZZ_LIB_SRC))
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIBS)

.PHONY: fuzz fuzz-smoke
fuzz: $(FUZZERS) ## build the libFuzzer harnesses (clang)

fuzz-smoke: $(FUZZERS) ## run every fuzzer for FUZZ_SECONDS (default 5) each
	@bash scripts/fuzz-smoke.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# ---------------------------------------------------------------- tests
.PHONY: test unit-tests
unit-tests: $(UNIT_TESTS) $(HELPERS)

test: all unit-tests ## build and run every test suite; ends with "N passed, N failed"
	@RAG_BIN=$(abspath $(BIN)) RAG_TEST_BIN=$(abspath $(BUILD)/tests) SAN=$(SAN) \
	  bash scripts/run-tests.sh $(T)

# ---------------------------------------------------------------- operator targets
.PHONY: deps validate ingest help clean

deps: ## install the Debian packages the build and tests need
	bash scripts/deps.sh

validate: $(BIN)/ragtop ## validate config/params.yaml and services.yml
	@$(BIN)/ragtop validate --config $(CONFIG) --services $(SERVICES)

.PHONY: status
status: $(BIN)/ragtop ## one snapshot of the stack (ragtop --once): exit 0 OK, 1 WARN, 2 CRIT, 3 UNKNOWN
	@$(BIN)/ragtop --once --config $(CONFIG) --services $(SERVICES)

# The KEYS section of docs/ragtop.1 comes from the key table (src/ragtop/keys.c);
# tests/integration/test_ragtop_docs.sh fails when they drift apart.
.PHONY: man-keys
man-keys: $(BIN)/ragtop ## regenerate the KEYS section of docs/ragtop.1 from the key table
	@bash scripts/man-keys.sh $(BIN)/ragtop docs/ragtop.1

# rag-api in the background (scripts/apictl.sh; pidfile artifacts/run/rag-api.pid).
# `api` starts it even with no index yet: /healthz is fail until `make ingest`
# publishes one, which the running API then loads by itself.
.PHONY: api stop restart-api
api: $(BIN)/rag-api $(if $(wildcard src/ragtop/main.c),validate) ## start rag-api in the background, wait for /healthz
	@bash scripts/apictl.sh start --bin $(BIN)/rag-api --config $(CONFIG)

# No validate here: stopping must work even while the config is broken.
stop: ## stop rag-api (SIGTERM, SIGKILL after a timeout); fine when it is not running
	@bash scripts/apictl.sh stop --bin $(BIN)/rag-api --config $(CONFIG)

restart-api: $(BIN)/rag-api $(if $(wildcard src/ragtop/main.c),validate) ## stop and start rag-api
	@bash scripts/apictl.sh restart --bin $(BIN)/rag-api --config $(CONFIG)

# ingest: validate the config first (when ragtop is built), then run one ingest.
ingest: $(BIN)/rag-ingest $(if $(wildcard src/ragtop/main.c),$(BIN)/ragtop) ## validate config, then build/refresh the index (rag-ingest)
	@if [ -x $(BIN)/ragtop ]; then $(BIN)/ragtop validate --config $(CONFIG) --services $(SERVICES) || exit $$?; fi
	@$(BIN)/rag-ingest --config $(CONFIG)

.PHONY: watch
watch: validate ## run the health watcher in the foreground (alerts to watch.receivers; Ctrl-C stops)
	$(BIN)/ragtop watch --config $(CONFIG) --services $(SERVICES) --verbose

clean: ## remove build/ (artifacts/ is kept: it is your data)
	rm -rf $(BUILD_ROOT)

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk -F':.*## ' '{ printf "  make %-14s %s\n", $$1, $$2 }'
