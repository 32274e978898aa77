# pullthrough — build, test and run. `make help` lists the targets.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# The one version string (hack/version.sh: from git tags, without the v):
# `pullthrough version`, the image's tag and labels, the SBOM, the chart's
# version and appVersion. VERSION=v0.1.0 and VERSION=0.1.0 are the same.
VERSION ?= $(shell hack/version.sh)
VERSION_ORIGIN := $(origin VERSION)
override VERSION := $(patsubst v%,%,$(VERSION))
# The commit and its time: the image's revision label and every timestamp in
# it (reproducible builds: two builds of a commit give one digest).
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
# The Go toolchain named in go.mod, fetched through the module proxy when the
# installed Go is older: it carries the standard-library security fixes that
# govulncheck (make vuln) asks for. GOTOOLCHAIN=local in the environment opts out.
export GOTOOLCHAIN ?= $(shell sed -n 's/^toolchain //p' go.mod)
LDFLAGS := -s -w -X main.version=$(VERSION)
# One build configuration for every go command make runs, the release's: static
# (no cgo) and path-free (-trimpath). Tests compile the product as it ships, and
# the Go build cache holds one compile of every package that the tests, the
# release builds, the tools and the e2e control plane share (hack/e2e-bins.sh):
# from empty caches, a third of CI's compiling.
export CGO_ENABLED := 0
export GOFLAGS := -trimpath $(GOFLAGS)
GOLANGCI_LINT_VERSION ?= v2.15.0
# helm-docs, which make chart-docs runs and hack/lint-chart.sh checks against.
export HELM_DOCS_VERSION ?= v1.14.2
# actionlint, which make lint runs on .github/workflows.
ACTIONLINT_VERSION ?= v1.7.12
GOLANGCI_LINT_PKG := github.com/golangci/golangci-lint/v2/cmd/golangci-lint
ACTIONLINT_PKG := github.com/rhysd/actionlint/cmd/actionlint

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

.PHONY: build
build: ## build bin/pullthrough
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o bin/pullthrough ./cmd/pullthrough

# The CLI's release archives: pullthrough_VERSION_OS_ARCH.tar.gz for linux and
# darwin, amd64 and arm64, and checksums.txt, reproducible (hack/dist).
.PHONY: dist
dist: ## build the CLI's release archives and checksums.txt into bin/dist (reproducible)
	go run ./hack/dist -version '$(VERSION)' -source-date-epoch '$(SOURCE_DATE_EPOCH)' -ldflags '$(LDFLAGS)' -out bin/dist

# make image: where the index goes (empty: an OCI layout in bin/image) and for which platforms.
IMAGE ?=
PLATFORMS ?= linux/amd64,linux/arm64

.PHONY: image
image: ## build the multi-arch image without Docker; IMAGE=REF pushes it, else an OCI layout in bin/image (docs/release.md)
	go run ./hack/image -version '$(VERSION)' -revision '$(REVISION)' -source-date-epoch '$(SOURCE_DATE_EPOCH)' \
		-ldflags '$(LDFLAGS)' -platforms '$(PLATFORMS)' -image '$(IMAGE)' -layout bin/image \
		-sbom-dir bin/sbom -digest-file bin/image.digest

.PHONY: chart-push
chart-push: ## package the chart at VERSION and push it to CHART_REPO=oci://HOST/PATH (helm from the module proxy)
	hack/chart-push.sh '$(VERSION)' '$(CHART_REPO)'

.PHONY: release
release: ## VERSION=vX.Y.Z: set the chart's versions, re-render manifests and chart README, commit and tag (docs/release.md)
	@if [ '$(VERSION_ORIGIN)' != 'command line' ]; then echo 'make release: give VERSION=vX.Y.Z' >&2; exit 2; fi
	hack/release.sh '$(VERSION)'

.PHONY: release-check
release-check: ## the tree is released as VERSION: chart, manifests and CHANGELOG agree (the release workflow's first step)
	hack/release.sh --check '$(VERSION)'

.PHONY: e2e-bins
e2e-bins: ## build the control plane, the kubelet, containerd, runc and the registry into the cache (first time ~20 min on 2 idle cores)
	hack/e2e-bins.sh >/dev/null

# The packages whose tests run on a real API server: `make test` fails unless
# each of them ran tests and skipped none (hack/testcheck), so that neither
# GOFLAGS=-short nor a skipped test can turn CI green without the e2e suite.
E2E_PKGS := ./certs ./deploy ./e2e ./e2e/cluster ./inventory ./migrate ./policy ./pullfailures ./verdicts ./e2e/node
# make test-oldest runs these on K8S_MIN_VERSION: all but the real node's, whose
# kubelet the oldest control plane is not built with (E2E_NODE=false).
E2E_OLDEST_PKGS := $(filter-out ./e2e/node,$(E2E_PKGS))

# make test K8S_VERSION=v1.35.4 runs the suite on another control plane (built
# once into its own cache directory); hack/versions.env names the supported ones.
ifdef K8S_VERSION
export PULLTHROUGH_K8S_VERSION := $(K8S_VERSION)
endif

.PHONY: test
test: e2e-bins ## run every test: unit, fuzz seeds, golden files and the e2e suite on a real API server
	go build -o bin/testcheck ./hack/testcheck
	go test -count=1 -timeout 30m -json ./... | bin/testcheck $$(go list $(E2E_PKGS))
	$(MAKE) test-containerd

# The oldest supported Kubernetes (hack/versions.env), whose control plane
# make test-oldest builds and runs the e2e packages on.
K8S_MIN_VERSION := $(shell sed -n 's/^K8S_MIN_VERSION=//p' hack/versions.env)

.PHONY: test-oldest
test-oldest: ## the e2e packages on the oldest supported Kubernetes (K8S_MIN_VERSION; first build ~12 min)
	E2E_NODE=false PULLTHROUGH_K8S_VERSION=$(K8S_MIN_VERSION) hack/e2e-bins.sh >/dev/null
	go build -o bin/testcheck ./hack/testcheck
	PULLTHROUGH_K8S_VERSION=$(K8S_MIN_VERSION) go test -count=1 -timeout 30m -json $(E2E_OLDEST_PKGS) | bin/testcheck $$(go list $(E2E_OLDEST_PKGS))

# Separate modules with heavy test-only graphs, each tested from its own directory.
TEST_MODULES := e2e/containerd
# Every separate module is linted, so that a change to the product that breaks
# one (the load tool builds against the tree through a replace) fails make lint:
# the load tool by golangci-lint; the test-only modules by go vet, which reads
# what make test compiled, where golangci-lint would type-check containerd's
# whole graph from source for some 600 lines of tests (about 400 CPU-seconds
# of a cold CI run).
LINT_MODULES := e2e/load

.PHONY: test-containerd
test-containerd: ## containerd's own resolver on the host files of `pullthrough nodeconfig` (its own module)
	cd e2e/containerd && go test -count=1 -timeout 15m ./...

.PHONY: test-faults
test-faults: e2e-bins ## the fault suite: kill, hang, roll and flood the webhook under a stream of pod creations (~3 min)
	go build -o bin/testcheck ./hack/testcheck
	PT_FAULT_REPORT=$${PT_FAULT_REPORT:-$(CURDIR)/bin/faults.md} go test -count=1 -timeout 15m -tags faults -json ./e2e/faults \
		| bin/testcheck $$(go list ./e2e/faults)
	@cat $${PT_FAULT_REPORT:-$(CURDIR)/bin/faults.md}

.PHONY: test-short
test-short: ## unit tests only (skips the e2e suite)
	go test -short ./...

.PHONY: lint
lint: ## gofmt, go vet, golangci-lint, actionlint, hack/workflowcheck and the Helm chart (tools built from the module proxy)
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "not gofmt-ed: $$unformatted"; exit 1; fi
	@# golangci-lint runs go vet's analyzers (govet, with the faults tag from
	@# .golangci.yml) on the one type-check it makes: no second compile of the tree.
	golangci_lint=$$(hack/go-tool.sh golangci-lint $(GOLANGCI_LINT_PKG) $(GOLANGCI_LINT_VERSION)); \
	$$golangci_lint run --allow-parallel-runners ./...; \
	for m in $(LINT_MODULES); do (cd $$m && $$golangci_lint run --allow-parallel-runners ./...); done
	for m in $(TEST_MODULES); do (cd $$m && go vet ./...); done
	$$(hack/go-tool.sh actionlint $(ACTIONLINT_PKG) $(ACTIONLINT_VERSION))
	go run ./hack/workflowcheck .github/workflows/*.yaml
	hack/lint-chart.sh
	go run ./hack/docgen -check

.PHONY: docs
docs: ## regenerate docs/reference (CLI, config, metrics) from the code; make lint fails when they differ
	go run ./hack/docgen

.PHONY: chart-docs
chart-docs: ## regenerate deploy/charts/pullthrough/README.md from values.yaml (helm-docs from the module proxy)
	$$(hack/go-tool.sh helm-docs github.com/norwoodj/helm-docs/cmd/helm-docs $(HELM_DOCS_VERSION)) --chart-search-root deploy/charts/pullthrough --log-level warning

.PHONY: manifests
manifests: ## re-render deploy/manifests after changing deploy/charts
	hack/render-manifests.sh

.PHONY: tools
tools: ## build every tool of lint, vuln and the chart checks into bin/tools, once (.ci/run builds them beside make test)
	hack/go-tool.sh golangci-lint $(GOLANGCI_LINT_PKG) $(GOLANGCI_LINT_VERSION) >/dev/null
	hack/go-tool.sh actionlint $(ACTIONLINT_PKG) $(ACTIONLINT_VERSION) >/dev/null
	hack/lint-chart.sh --tools
	hack/vulncheck.sh --tools

.PHONY: vuln
vuln: ## govulncheck with a database built from golang.org/x/vulndb via the module proxy (first run ~2 min)
	hack/vulncheck.sh

.PHONY: bench
bench: ## write docs/benchmarks.md: in-process and under-load ratios to a do-nothing webhook, alternated (~4 min)
	go run ./hack/benchdoc -o docs/benchmarks.md
	cd e2e/load && go run . -repo ../.. -o ../../docs/benchmarks.md

.PHONY: fuzz
fuzz: ## run every fuzz target of the module for FUZZTIME each (default 30s); prints executions per target
	FUZZTIME=$${FUZZTIME:-30s} hack/fuzz.sh

.PHONY: demo
demo: build e2e-bins ## the main job: a local control plane, the webhook and the migrator, before and after
	go run ./e2e/demo

.PHONY: load
load: ## vegeta load only (its own module), the baseline, the floor and pullthrough alternately; RATE, DURATION, ROUNDS
	cd e2e/load && go run . -repo ../.. $${RATE:+-rate $$RATE} $${DURATION:+-duration $$DURATION} $${ROUNDS:+-rounds $$ROUNDS}
