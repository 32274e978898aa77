// Package image assembles pullthrough's container image from parts this
// repository pins, with no base image and no Docker engine: an OCI image
// index of one image per platform, each made of a common layer (a CA bundle
// and the license texts) and a layer holding the static binary, plus an SPDX
// SBOM per platform image that refers to it as its subject.
//
// Contract:
//   - Reproducible: the same inputs (binaries, Meta, notices) give the same
//     digests, byte for byte. Every time in a layer, a config and an SBOM is
//     Meta.Created (from SOURCE_DATE_EPOCH); files are owned by 0:0 with
//     fixed modes, entries sorted, and nothing reads the clock, the host's
//     users or the environment.
//   - The image runs as the numeric user 65532:65532 (no /etc/passwd needed:
//     runAsNonRoot checks the number), with the binary as its entrypoint and
//     the CA bundle where Go's crypto/x509 looks first on Linux.
//   - Labels and annotations are the OCI ones (org.opencontainers.image.*):
//     source, revision, version, licenses, created, title.
//   - The package builds values (v1.Layer, v1.Image, v1.ImageIndex and SBOM
//     artifacts); publishing them to a registry or an OCI layout is the
//     caller's (hack/image).
package image
