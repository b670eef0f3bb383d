# huntsql — `make help` lists the targets.
# cgo is required (DuckDB). duckdb-go's Arrow API needs the duckdb_arrow tag in
# every build, test and benchmark.
GO        ?= go
TAGS      := duckdb_arrow
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X huntsql/internal/cli.version=$(VERSION)
BIN       := bin/huntsql
DEMO      := .demo
FUZZTIME  ?= 30s
FUZZFLAGS ?=
BENCH_EVENTS ?= 1000000
BENCH_SUITE  ?= all
BENCH_FLAGS  ?=

export CGO_ENABLED := 1

.PHONY: help build test demo bench fuzz vet clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

build: ## build bin/huntsql
	$(GO) build -tags $(TAGS) -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/huntsql

# make test runs the slow reliability tests too (gigabyte inputs, 50 kills of a
# running load); `go test ./...` alone skips them and says so.
test: build ## run every test, slow reliability tests included (UPDATE_GOLDEN=1 refreshes golden files)
	$(GO) vet -tags $(TAGS) ./...
	HUNTSQL_SLOW_TESTS=1 HUNTSQL_KILL_ITERATIONS=50 $(GO) test -tags $(TAGS) -count=1 -timeout 20m ./...
	$(BIN) rules lint
	$(BIN) rules test --fixtures fixtures/rules

demo: build ## load the bundled sample logs, run every rule and a few Sigma rules: a timeline file, the detections, the summary
	rm -rf $(DEMO)
	$(BIN) load --archive $(DEMO)/archive fixtures/demo fixtures/sigma/events
	$(BIN) query --archive $(DEMO)/archive \
	  'SELECT "host.name", "host.os.type", count(*) AS events, min("@timestamp") AS first, max("@timestamp") AS last FROM events GROUP BY ALL ORDER BY ALL'
	$(BIN) run --archive $(DEMO)/archive --sigma fixtures/sigma/rules -q --format timeline -o $(DEMO)/timeline.csv
	@echo "timeline: $(DEMO)/timeline.csv"
	$(BIN) run --archive $(DEMO)/archive --sigma fixtures/sigma/rules --format table --summary

bench: build ## benchmarks with ratios vs DuckDB and encoding/xml (BENCH_EVENTS=1000000)
	$(GO) run -tags $(TAGS) ./internal/bench -bin $(BIN) -events $(BENCH_EVENTS) -dir .bench -suite $(BENCH_SUITE) $(BENCH_FLAGS)

fuzz: ## run each fuzz target for FUZZTIME (default 30s); FUZZFLAGS=-parallel=1 to keep a core free
	@set -e; for t in loader/ecs:FuzzSplitter loader/ecs:FuzzNormalize loader/winxml:FuzzSplitter \
	    loader/winxml:FuzzParseEvent loader/evtx:FuzzChunk loader/format:FuzzFirstJSONKeys \
	    loader/winjson:FuzzEVTXSplitter loader/winjson:FuzzEVTXJSON loader/wintext:FuzzSplitter loader/wintext:FuzzParse \
	    loader/auditd:FuzzSplitter loader/auditd:FuzzParse loader/winevent:FuzzSysmonEvent \
	    loader/timestamp:FuzzTimestamp rules:FuzzParse rules/sigma:FuzzParse rules/sigma:FuzzCondition; do \
	  pkg=$${t%%:*}; name=$${t##*:}; echo "== $$name ($$pkg), $(FUZZTIME)"; \
	  $(GO) test -tags $(TAGS) -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $(FUZZFLAGS) ./$$pkg; \
	done

clean: ## remove build and demo output
	rm -rf bin $(DEMO) .bench
