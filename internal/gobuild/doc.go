// Package gobuild cross-compiles cmd/pullthrough the one way every published
// artifact is built (the image's binaries by hack/image, the release
// archives by hack/dist): static (CGO off), without build paths
// (-trimpath), so that only the source, go.sum, the toolchain and the
// ldflags decide the bytes. It runs the go command; it is for build tools,
// never for the binary itself.
package gobuild
