# stack.mk — the sample stack's `make ingest` (tests/tui/stack.sh with
# STACK_MAKE=1): like the repository's Makefile, validate first, then ingest,
# so make's own exit status (2) wraps the program's (78 for a bad config).
BIN ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/../../build/bin)
ingest: validate
	@bash $(dir $(lastword $(MAKEFILE_LIST)))stackctl.sh ingest
validate:
	@$(BIN)/ragtop validate --config config/params.yaml --services services.yml
.PHONY: ingest validate
