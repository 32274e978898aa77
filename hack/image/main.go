// Command image builds pullthrough's multi-platform container image without
// Docker and without a base image (package internal/image), and pushes it to
// a registry or writes it as an OCI layout. `make image` runs it:
//
//	go run ./hack/image -version 0.1.0 -revision SHA -source-date-epoch N \
//	    -ldflags '...' [-image REF | -layout DIR] [-sbom-dir DIR] [-digest-file F]
//
// It cross-compiles cmd/pullthrough for every -platforms entry (CGO off,
// -trimpath, the given -ldflags), puts the binaries and the common layer
// (CA bundle, license texts) into one image per platform, the images into an
// index, and attaches an SPDX SBOM to each platform image as an OCI referrer.
// Credentials come from the docker config (authn.DefaultKeychain); registries
// on loopback are spoken to over plain HTTP when they do not speak TLS.
//
// Exit codes: 0 published, 1 a build or the push failed, 2 bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError is a problem with the flags: exit code 2.
type usageError struct{ error }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := parseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err == nil {
		err = build(ctx, opts, stdout, stderr)
	}
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "image: %v\n", err)
	if errors.As(err, new(usageError)) {
		return 2
	}
	return 1
}
