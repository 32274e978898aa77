# syntax=docker/dockerfile:1
# The pullthrough image: one static binary on distroless, non-root. For those
# who build with Docker; the released image is `make image`'s (no Docker, no
# base image, reproducible, SBOM attached: docs/release.md). Both run the same
# binary (same flags) as the same user with the same entrypoint.
#
#   docker build --build-arg VERSION=$(hack/version.sh) --build-arg REVISION=$(git rev-parse HEAD) -t IMAGE .
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
ARG VERSION=0.0.0-dev
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
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title=pullthrough \
      org.opencontainers.image.source=https://github.com/pullthrough/pullthrough \
      org.opencontainers.image.licenses=Apache-2.0 \
      org.opencontainers.image.version=$VERSION \
      org.opencontainers.image.revision=$REVISION
