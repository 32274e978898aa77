# pullthrough — build, test and run. `make help` lists the targets.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# The Go toolchain named in go.mod, fetched through the module proxy when the
# installed Go is older: it carries the standard-library security fixes that
# govulncheck (make vuln) asks for. GOTOOLCHAIN=local in the environment opts out.
export GOTOOLCHAIN ?= $(shell sed -n 's/^toolchain //p' go.mod)
LDFLAGS := -s -w -X main.version=$(VERSION)
GOLANGCI_LINT_VERSION ?= v2.15.0
TOOLS := $(CURDIR)/bin/tools

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

.PHONY: build
build: ## build bin/pullthrough
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o bin/pullthrough ./cmd/pullthrough

.PHONY: e2e-bins
e2e-bins: ## build etcd, kube-apiserver, kube-controller-manager and the registry into the cache (first time ~12 min)
	hack/e2e-bins.sh >/dev/null

.PHONY: test
test: e2e-bins ## run every test: unit, fuzz seeds, golden files and the e2e suite on a real API server
	go test -count=1 -timeout 30m ./...

.PHONY: test-short
test-short: ## unit tests only (skips the e2e suite)
	go test -short ./...

.PHONY: lint
lint: ## gofmt, go vet, golangci-lint and the Helm chart (helm built from the module proxy)
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "not gofmt-ed: $$unformatted"; exit 1; fi
	go vet ./...
	@if [ ! -x $(TOOLS)/golangci-lint ]; then GOBIN=$(TOOLS) go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION); fi
	$(TOOLS)/golangci-lint run --allow-parallel-runners ./...
	hack/lint-chart.sh

.PHONY: manifests
manifests: ## re-render deploy/manifests after changing deploy/charts
	hack/render-manifests.sh

.PHONY: vuln
vuln: ## govulncheck with a database built from golang.org/x/vulndb via the module proxy (first run ~2 min)
	hack/vulncheck.sh

.PHONY: bench
bench: ## write docs/benchmarks.md: in-process and under-load ratios to a do-nothing webhook, alternated (~3 min)
	go run ./hack/benchdoc -o docs/benchmarks.md
	cd e2e/load && go run . -repo ../.. -o ../../docs/benchmarks.md

.PHONY: fuzz
fuzz: ## run every fuzz target of the module for FUZZTIME each (default 30s); prints executions per target
	FUZZTIME=$${FUZZTIME:-30s} hack/fuzz.sh

.PHONY: demo
demo: build e2e-bins ## the main job: a local control plane, the webhook and the migrator, before and after
	go run ./e2e/demo

.PHONY: load
load: ## vegeta load only (its own module), pullthrough and the baseline alternately; RATE, DURATION, ROUNDS
	cd e2e/load && go run . -repo ../.. -rate $${RATE:-500} -duration $${DURATION:-10s} -rounds $${ROUNDS:-2}
