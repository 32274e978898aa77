# syntax=docker/dockerfile:1
# The pullthrough image: one static binary on distroless, non-root.
#
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) -t IMAGE .
#   docker buildx build --platform linux/amd64,linux/arm64 ... (cross-compiled, no emulation)
#
# Both base images come from public registries; a platform team mirrors them
# (and pins them by digest) like any other image: docs/install.md.

# The builder runs on the build machine's platform and cross-compiles, which
# is fast for a CGO-free Go binary.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src
# Modules first, in a layer of their own: a source change does not download them again.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=bind,source=go.mod,target=go.mod \
    --mount=type=bind,source=go.sum,target=go.sum \
    go mod download
ARG TARGETOS TARGETARCH
ARG VERSION=dev
# The source is bind-mounted rather than copied: nothing of it stays in a layer.
# Static (no libc in the final image), path-free and stripped, as `make build`.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    --mount=type=bind,target=. \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/pullthrough ./cmd/pullthrough

# static: CA certificates, tzdata and /etc/passwd with the nonroot user, nothing
# else (no shell, no package manager).
FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/pullthrough /pullthrough
# Numeric, so that runAsNonRoot can verify it without reading /etc/passwd; the
# chart runs the pods as the same user.
USER 65532:65532
ENTRYPOINT ["/pullthrough"]
