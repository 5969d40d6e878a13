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
# Values an operator gives (command line or environment; the console sets
# CONFIG and SERVICES in the environment of the make it runs) are data:
# make never expands them (a `$(...)` in one is text), and recipes hand them
# to the shell only as quoted parameter expansions of exported variables
# ("$$CONFIG"): one argv word each, never pasted into a command line.
OPERATOR_VARS := CONFIG SERVICES RUN_ID T SAN RUNTIME BUILD_ROOT PREFIX DESTDIR FUZZ_SECONDS
literal = $(foreach v,$(1),$(if $(filter command line environment environment override,$(origin $(v))),\
            $(eval override $(v) := $$(value $(v)))))
$(call literal,$(OPERATOR_VARS))

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
FUZZ_SECONDS ?= 5
$(call literal,BIN)
# BUILD_ROOT and BIN name make's own targets (and reach $(shell find ...)):
# letters, digits and . _ / + - only, not starting with -.
unsafe = $(if $(2),$(call unsafe,$(subst $(firstword $(2)),,$(1)),$(wordlist 2,$(words $(2)),$(2))),$(1))
SAFE_CHARS := a b c d e f g h i j k l m n o p q r s t u v w x y z \
              A B C D E F G H I J K L M N O P Q R S T U V W X Y Z 0 1 2 3 4 5 6 7 8 9 . _ / + -
ifneq ($(call unsafe,$(BUILD_ROOT)$(BIN),$(SAFE_CHARS))$(filter -%,$(BUILD_ROOT) $(BIN)),)
$(error BUILD_ROOT ('$(BUILD_ROOT)') and BIN ('$(BIN)') may hold only letters, digits and . _ / + -, and not start with -)
endif
export CONFIG SERVICES RUN_ID T SAN RUNTIME BUILD_ROOT BUILD BIN PREFIX DESTDIR FUZZ_SECONDS

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
# The vector index (src/core/ann.cpp) is C++ over the header-only hnswlib:
# the one C++ file is compiled with CXX and the programs link libstdc++
# (only those that use it: --as-needed).
CXX      ?= g++
CXXFLAGS := -std=c++17 -Wall -Wextra -Werror -O2 -g -D_GNU_SOURCE -Iinclude -MMD -MP $(SANFLAGS)
LIBS     := $(shell pkg-config --libs $(filter-out cmocka,$(PKGS)) 2>/dev/null) -lpthread -lm \
            -Wl,--push-state,--as-needed -lstdc++ -Wl,--pop-state
TESTLIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

# ---------------------------------------------------------------- build
obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

CORE_SRC   := $(wildcard src/core/*.c)
CORE_CXX   := $(wildcard src/core/*.cpp)
INGEST_SRC := $(filter-out src/ingest/main.c,$(wildcard src/ingest/*.c))
API_SRC    := $(filter-out src/api/main.c,$(wildcard src/api/*.c))
RAGTOP_SRC := $(filter-out src/ragtop/main.c,$(wildcard src/ragtop/*.c))

LIBRAG    := $(BUILD)/lib/librag.a
LIBINGEST := $(if $(INGEST_SRC),$(BUILD)/lib/libingest.a)
LIBAPI    := $(if $(API_SRC),$(BUILD)/lib/libapi.a)
LIBRAGTOP := $(if $(RAGTOP_SRC),$(BUILD)/lib/libragtop.a)
ALL_LIBS  := $(LIBRAGTOP) $(LIBINGEST) $(LIBAPI) $(LIBRAG)

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

$(BUILD)/obj/%.o: %.cpp
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) -c $< -o $@

$(LIBRAG): $(call obj,$(CORE_SRC)) $(patsubst %.cpp,$(BUILD)/obj/%.o,$(CORE_CXX))
$(BUILD)/lib/libingest.a: $(call obj,$(INGEST_SRC))
$(BUILD)/lib/libapi.a: $(call obj,$(API_SRC))
$(BUILD)/lib/libragtop.a: $(call obj,$(RAGTOP_SRC))
$(BUILD)/lib/%.a:
	@mkdir -p $(@D)
	@rm -f $@
	ar rcs $@ $^

# rag-ingest evaluates golden queries with rag-api's own retrieval code (libapi).
$(BIN)/rag-ingest: $(call obj,src/ingest/main.c) $(LIBINGEST) $(LIBAPI) $(LIBRAG)
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

# Bench tools (bench/<area>/*.c, one file each; built by the bench scripts,
# not part of the product or of `make all`).
$(BUILD)/bench/%: $(call obj,bench/%.c) $(LIBAPI) $(LIBRAG)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# libFuzzer harnesses: tests/fuzz/fuzz_<name>.c, seeds in tests/fuzz/corpus/<name>/.
FUZZ_CC      ?= clang
FUZZ_BUILD   := $(BUILD_ROOT)/fuzz
FUZZ_FLAGS   := -std=gnu11 -g -O1 -D_GNU_SOURCE -Iinclude -MMD -MP -fsanitize=fuzzer-no-link,address,undefined \
                -fno-sanitize-recover=undefined \
                $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS      := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(FUZZ_SRC))
FUZZ_LIB_SRC := $(CORE_SRC) $(INGEST_SRC) $(API_SRC) $(RAGTOP_SRC)

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -c $< -o $@

# ann.cpp is C++: the harnesses link with clang++ (UBSan's C++ runtime).
FUZZ_CXX     ?= clang++

$(FUZZ_BUILD)/obj/%.o: %.cpp
	@mkdir -p $(@D)
	$(FUZZ_CXX) -std=c++17 -g -O1 -D_GNU_SOURCE -Iinclude -MMD -MP -fsanitize=fuzzer-no-link,address,undefined \
	  -fno-sanitize-recover=undefined -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(FUZZ_LIB_SRC)) \
                      $(patsubst %.cpp,$(FUZZ_BUILD)/obj/%.o,$(CORE_CXX))
	$(FUZZ_CXX) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIBS)

# a harness or library object is rebuilt when a header it includes changes
-include $(shell find $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)

.PHONY: fuzz fuzz-smoke
fuzz: $(FUZZERS) ## build the libFuzzer harnesses (clang)

fuzz-smoke: $(FUZZERS) ## run every fuzzer for FUZZ_SECONDS (default 5) each
	@bash scripts/fuzz-smoke.sh "$$BUILD_ROOT/fuzz" "$$FUZZ_SECONDS"

# ---------------------------------------------------------------- tests
.PHONY: test unit-tests
unit-tests: $(UNIT_TESTS) $(HELPERS)

test: all unit-tests ## build and run every test suite; ends with "N passed, N failed"
	@RAG_BIN=$$(realpath -ms -- "$$BIN") RAG_TEST_BIN=$$(realpath -ms -- "$$BUILD/tests") \
	  bash scripts/run-tests.sh "$$T"

# ---------------------------------------------------------------- operator targets
# Every target that starts something validates the config first (`validate`),
# so a broken config fails before anything runs; every target is idempotent
# (starting what runs, or stopping what is stopped, succeeds and says so);
# `stop` works even while the config is broken. RUNTIME=docker runs ingest,
# api, restart-api, stop, logs, status and the scheduled ingest through docker
# compose (scripts/compose.sh, docker-compose.yml, deploy/docker/).
RUNTIME ?= local
ifneq ($(filter-out local docker,$(RUNTIME)),)
$(error RUNTIME must be local or docker, not '$(RUNTIME)')
endif

.PHONY: deps validate ingest rollback eval api stop stop-api restart-api status console watch watch-start stop-watch \
        logs ingest-cron stop-ingest-cron demo image man-keys install uninstall clean help

deps: ## install the Debian packages the build and tests need
	bash scripts/deps.sh

validate: $(BIN)/ragtop ## validate config/params.yaml and services.yml
	@"$$BIN/ragtop" validate --config "$$CONFIG" --services "$$SERVICES"

# Folders as the programs resolve them from the config (rag-api
# --print-settings: run_dir, logs_dir) are found by the scripts themselves
# (scripts/apictl.sh, scripts/daemon.sh --config): no value from the config
# is ever pasted into a recipe's shell command, nor is CONFIG itself (see
# "settings": "$$CONFIG" is a quoted expansion; ABS makes a path absolute, as
# $(abspath) did, in the shell). When the config does not load, stop reads
# its paths.artifacts leniently; artifacts/ only for the default config,
# else it refuses (docs/runbooks/orchestration.md).
ABS    = realpath -ms --
APICTL = bash scripts/apictl.sh --bin "$$BIN/rag-api" --config "$$CONFIG"
DAEMON = bash scripts/daemon.sh --api-bin "$$BIN/rag-api" --config "$$($(ABS) "$$CONFIG")"

ifeq ($(RUNTIME),docker)
ingest: ## validate the config, then run one ingest (docker: compose run --rm rag_ingest)
	@bash scripts/compose.sh ingest

api: ## start rag-api in the background; runs ingest first when no index is published (docker: up -d rag_api)
	@bash scripts/compose.sh api

restart-api: ## restart rag-api and wait until it answers /healthz
	@bash scripts/compose.sh restart-api

stop: ## stop everything the stack runs: API, scheduled ingest, watcher (docker: compose down); data is kept
	@bash scripts/compose.sh stop

rollback: ## serve the previous index generation again (RUN_ID=<run> for the one that run published)
	@bash scripts/compose.sh rollback "$$RUN_ID"

stop-api: ## stop only rag-api
	@bash scripts/compose.sh stop-api

status: ## one snapshot of the stack (ragtop --once); make exits 0 only when all is OK
	@bash scripts/compose.sh status

logs: ## follow every JSON log, human-readable (Ctrl-C ends)
	@bash scripts/compose.sh logs

ingest-cron: ## start the scheduled ingest in the background: rag-ingest --watch (docker: profile cron)
	@bash scripts/compose.sh ingest-cron

stop-ingest-cron: ## stop the scheduled ingest
	@bash scripts/compose.sh stop-ingest-cron
else
ingest: $(BIN)/rag-ingest validate ## validate the config, then run one ingest (docker: compose run --rm rag_ingest)
	@"$$BIN/rag-ingest" --config "$$CONFIG"

rollback: $(BIN)/rag-ingest validate ## serve the previous index generation again (RUN_ID=<run> for the one that run published)
	@"$$BIN/rag-ingest" --config "$$CONFIG" --rollback $${RUN_ID:+-- "$$RUN_ID"}

# Policy: the API needs a published index, so `api` runs one ingest first when
# there is none (apictl.sh alone would start it with /healthz failing).
api: $(BIN)/rag-api validate ## start rag-api in the background; runs ingest first when no index is published (docker: up -d rag_api)
	@m=$$($(APICTL) path manifest) || exit $$?; \
	if [ ! -f "$$m" ]; then \
	  echo "make api: no published index yet ($$m); running make ingest first"; \
	  $(MAKE) --no-print-directory ingest || exit $$?; \
	fi
	@$(APICTL) start

restart-api: $(BIN)/rag-api validate ## restart rag-api and wait until it answers /healthz
	@$(APICTL) restart

stop: ## stop everything the stack runs: API, scheduled ingest, watcher (docker: compose down); data is kept
	@$(APICTL) stop
	@$(DAEMON) stop rag-ingest-cron
	@$(DAEMON) stop ragtop-watch

stop-api: ## stop only rag-api
	@$(APICTL) stop

status: $(BIN)/ragtop ## one snapshot of the stack (ragtop --once); make exits 0 only when all is OK
	@"$$BIN/ragtop" --once --config "$$CONFIG" --services "$$SERVICES"

logs: $(BIN)/rag-api validate ## follow every JSON log, human-readable (Ctrl-C ends)
	@d=$$($(APICTL) path logs_dir) || exit $$?; RAG_LOG_DIR="$$d" bash scripts/logs.sh

ingest-cron: $(BIN)/rag-ingest $(BIN)/rag-api validate ## start the scheduled ingest in the background: rag-ingest --watch (docker: profile cron)
	@bin=$$($(ABS) "$$BIN") && cfg=$$($(ABS) "$$CONFIG") && \
	  $(DAEMON) start rag-ingest-cron -- "$$bin/rag-ingest" --watch --config "$$cfg"

stop-ingest-cron: ## stop the scheduled ingest
	@$(DAEMON) stop rag-ingest-cron
endif

# Read-only: evaluates the generation latest.json names with the host's
# rag-ingest (also under RUNTIME=docker, given the artifacts folder is reachable).
eval: $(BIN)/rag-ingest validate ## golden queries on the served index: nDCG@10, recall@k, MRR, weak queries (rag-ingest exits 65 below quality.min_ndcg: make Error 65)
	@"$$BIN/rag-ingest" --config "$$CONFIG" --eval

console: validate ## open the full-screen console (ragtop); q quits
	@"$$BIN/ragtop" --config "$$CONFIG" --services "$$SERVICES"

watch: validate ## run the health watcher in the foreground (alerts to watch.receivers; Ctrl-C stops)
	"$$BIN/ragtop" watch --config "$$CONFIG" --services "$$SERVICES" --verbose

watch-start: $(BIN)/rag-api validate ## start the health watcher in the background (output in the logs folder)
	@bin=$$($(ABS) "$$BIN") && cfg=$$($(ABS) "$$CONFIG") && svc=$$($(ABS) "$$SERVICES") && \
	  $(DAEMON) start ragtop-watch -- "$$bin/ragtop" watch --config "$$cfg" --services "$$svc"

stop-watch: ## stop the background health watcher
	@$(DAEMON) stop ragtop-watch

demo: export MAKE := $(MAKE)
demo: ## deps, build, ingest the sample corpus, start the API, show the console (or --once)
	@bash scripts/demo.sh

image: ## build the Docker image (ragtop:local) that RUNTIME=docker runs
	@bash scripts/compose.sh build

# The KEYS section of docs/ragtop.1 comes from the key table (src/ragtop/keys.c);
# tests/integration/test_ragtop_docs.sh fails when they drift apart.
man-keys: $(BIN)/ragtop ## regenerate the KEYS section of docs/ragtop.1 from the key table
	@bash scripts/man-keys.sh "$$BIN/ragtop" docs/ragtop.1

# Installed layout: $(PREFIX)/bin/{rag-ingest,rag-api,ragtop},
# $(PREFIX)/share/man/man1/ragtop.1, $(PREFIX)/share/ragtop/themes/*.theme,
# $(PREFIX)/share/doc/ragtop/ (runbook, deploy examples). DESTDIR stages it.
# The folders are shell words over the exported DESTDIR and PREFIX.
INSTALL_ROOT  := "$$DESTDIR$$PREFIX"
INSTALL_BIN   := $(INSTALL_ROOT)/bin
INSTALL_MAN   := $(INSTALL_ROOT)/share/man/man1
INSTALL_SHARE := $(INSTALL_ROOT)/share/ragtop
INSTALL_DOC   := $(INSTALL_ROOT)/share/doc/ragtop

install: all ## install programs, man page and themes under PREFIX (default /usr/local; DESTDIR stages)
	@for p in rag-ingest rag-api ragtop; do \
	  test -x "$$BIN/$$p" || { echo "install: $$BIN/$$p is not built (its sources are missing?)" >&2; exit 1; }; done
	@test -f docs/ragtop.1 || { echo "install: docs/ragtop.1 (man page) is missing" >&2; exit 1; }
	@set -- themes/*.theme; test -f "$$1" || { echo "install: themes/*.theme is missing" >&2; exit 1; }
	install -d $(INSTALL_BIN) $(INSTALL_MAN) $(INSTALL_SHARE)/themes $(INSTALL_DOC)/runbooks
	install -m 0755 "$$BIN/rag-ingest" "$$BIN/rag-api" "$$BIN/ragtop" $(INSTALL_BIN)/
	install -m 0644 docs/ragtop.1 $(INSTALL_MAN)/ragtop.1
	install -m 0644 themes/*.theme $(INSTALL_SHARE)/themes/
	@if [ -f docs/runbooks/orchestration.md ]; then install -m 0644 docs/runbooks/orchestration.md $(INSTALL_DOC)/runbooks/; fi
	@echo "installed under $$DESTDIR$$PREFIX"

uninstall: ## remove what install put under PREFIX (DESTDIR too)
	rm -f $(INSTALL_BIN)/rag-ingest $(INSTALL_BIN)/rag-api $(INSTALL_BIN)/ragtop $(INSTALL_MAN)/ragtop.1
	for t in themes/*.theme; do rm -f $(INSTALL_SHARE)/themes/"$${t##*/}"; done
	rm -f $(INSTALL_DOC)/runbooks/orchestration.md
	-rmdir $(INSTALL_SHARE)/themes $(INSTALL_SHARE) $(INSTALL_DOC)/runbooks $(INSTALL_DOC) 2>/dev/null
	@echo "uninstalled from $$DESTDIR$$PREFIX"

clean: ## remove build/ (artifacts/ is kept: it is your data)
	rm -rf -- "$$BUILD_ROOT"

help: ## list the targets and the variables that change them
	@echo "ragtop — make TARGET [VARIABLE=value ...]"
	@echo
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk -F':.*## ' '!seen[$$1]++ { printf "  make %-17s %s\n", $$1, $$2 }'
	@echo
	@echo "variables:"
	@echo "  RUNTIME=local|docker  local processes (default) or docker compose for ingest, api, stop, logs"
	@echo "  CONFIG=FILE           config to use (default config/params.yaml)"
	@echo "  SERVICES=FILE         service registry (default services.yml)"
	@echo "  PREFIX=DIR DESTDIR=D  install location (default /usr/local) and staging root"
	@echo "  T=substring           make test: run only the matching suites"
	@echo "  SAN=1                 build and test with ASan+UBSan in build/san"
