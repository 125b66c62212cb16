# mcpbuild: build, sign and verify MCP server images from pinned commits.
# `make demo` and `make test` work on a fresh Debian machine as root (see README.md).

SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO ?= go
# The local stack's state; hack/stack reads the same variable.
export MCPBUILD_STATE ?= $(CURDIR)/.stack
ENV := $(MCPBUILD_STATE)/env
# Extra `go test` flags, e.g. make test GOTESTFLAGS='-run TestPublish -v'
GOTESTFLAGS ?=
TEST_TIMEOUT ?= 20m

.PHONY: help build test unit demo stack-up stack-down stack-status lint fixtures clean bench bench-publish fuzz

help:
	@echo 'make demo          start the local stack, build + publish + verify the testdata catalog'
	@echo 'make test          start the local stack, run every test (unit and end-to-end)'
	@echo 'make unit          unit tests only (no stack)'
	@echo 'make build         bin/mcpbuild and bin/mcpverify'
	@echo 'make lint          go vet, a gofmt check and a go mod tidy check'
	@echo 'make stack-up | stack-down | stack-status'
	@echo 'make bench         mcpverify vs cosign verify v2/v3 on the local stack (BENCHFLAGS="-n 300 -delay 50ms -cosign-sample 30")'
	@echo 'make bench-publish mcpbuild publish vs buildctl + cosign sign, and re-publish behind latency (BENCHFLAGS="-n 300 -repos 10 -script-sample 30")'
	@echo 'make fuzz          every fuzz target for FUZZTIME each (default 60s; FUZZ_RUN=regexp, FUZZ_FORMAT=md)'

build:
	$(GO) build -o bin/ ./cmd/mcpbuild ./cmd/mcpverify

stack-up:
	hack/stack up

stack-down:
	hack/stack down

stack-status:
	hack/stack status

# Every test, end-to-end ones included, against the real local stack. go test prints one
# line per package and the output of failing tests; the log is kept in the state directory.
test: stack-up
	@. "$(ENV)"; \
	log="$(MCPBUILD_STATE)/test.log"; \
	echo "go test -tags e2e -count=1 -timeout $(TEST_TIMEOUT) $(GOTESTFLAGS) ./...  (log: $$log)"; \
	rc=0; $(GO) test -tags e2e -count=1 -timeout $(TEST_TIMEOUT) $(GOTESTFLAGS) ./... 2>&1 | tee "$$log" || rc=$$?; \
	echo "=== summary: packages ok $$(grep -cE '^ok\s' "$$log"), failed $$(grep -cE '^FAIL\s' "$$log");" \
	  "failed tests: $$(grep -E '^\s*--- FAIL' "$$log" | sed -E 's/^\s*--- FAIL: ([^ ]+).*/\1/' | tr '\n' ' ')"; \
	exit $$rc

# mcpverify against the real cosign verify (v2, v3), N=1 and N=50 images, on loopback and
# through a proxy adding 50 ms per registry request. Not part of `make test`.
bench: stack-up
	@. "$(ENV)"; $(GO) run ./hack/bench/verify $(BENCHFLAGS)

bench-publish: stack-up
	@. "$(ENV)"; $(GO) run ./hack/bench/publish $(BENCHFLAGS)

unit:
	$(GO) test -count=1 ./...

# Every fuzz target of the module (found with go test -list), one after another, each for
# FUZZTIME (default 60s; or a count, FUZZTIME=1000000x); prints executions and crashers per
# target and fails on a crasher, which go test leaves in <pkg>/testdata/fuzz/<Target>/ as a
# seed. Not part of `make test` (the seeds already run there as unit tests). See hack/fuzz.sh.
fuzz:
	GO="$(GO)" hack/fuzz.sh

demo: build stack-up
	@. "$(ENV)"; hack/demo.sh

# go mod tidy -diff changes nothing and fails when tidy would change go.mod or go.sum
# (it considers every build tag: the kms_* providers are required too).
lint:
	$(GO) vet ./...
	$(GO) vet -tags e2e ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }

# Re-create the fixture repositories into a scratch directory and print their commits
# (they must equal testdata/repos/hashes.txt).
fixtures:
	@d=$$(mktemp -d); hack/fixtures.sh "$$d"; rm -rf "$$d"

clean:
	rm -rf bin
