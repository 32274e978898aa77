// Command dist builds the release archives of the pullthrough CLI, which
// `make dist` runs and the release workflow uploads:
//
//	go run ./hack/dist -version 0.1.0 -source-date-epoch N -ldflags '...' [-out bin/dist]
//
// For every -platforms entry (default linux and darwin, amd64 and arm64) it
// cross-compiles cmd/pullthrough (package internal/gobuild: CGO off,
// -trimpath) and writes pullthrough_VERSION_OS_ARCH.tar.gz with the binary,
// LICENSE, NOTICE and README.md; then checksums.txt in sha256sum's format,
// so that `sha256sum -c checksums.txt` checks a download. The archives are
// reproducible: every entry has the commit's time, owner 0 and a fixed
// mode, and the gzip header has no time or name, so two builds of a commit
// give the same bytes.
//
// Exit codes: 0 written, 1 a build or a write failed, 2 bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError is a problem with the flags: exit code 2.
type usageError struct{ error }

// options are the flags, checked.
type options struct {
	version   string
	modTime   time.Time
	ldflags   string
	platforms []v1.Platform
	out       string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err == nil {
		err = dist(ctx, o, stdout)
	}
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "dist: %v\n", err)
	if errors.As(err, new(usageError)) {
		return 2
	}
	return 1
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("dist", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		o         options
		epoch     = fs.String("source-date-epoch", "", "the time of every archive entry, as Unix seconds (the commit time)")
		platforms = fs.String("platforms", "linux/amd64,linux/arm64,darwin/amd64,darwin/arm64", "comma-separated OS/ARCH to build")
	)
	fs.StringVar(&o.version, "version", "", "the version in the archive names, e.g. 0.1.0")
	fs.StringVar(&o.ldflags, "ldflags", "", "go build -ldflags (make passes the same as make build)")
	fs.StringVar(&o.out, "out", "bin/dist", "directory of the archives and checksums.txt (earlier archives in it are removed)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, usageError{err}
	}
	if fs.NArg() > 0 {
		return o, usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	if o.version == "" || strings.ContainsAny(o.version, "/_ ") {
		return o, usageError{fmt.Errorf("-version %q: want a version such as 0.1.0 (no slash, underscore or space: it is part of the file names)", o.version)}
	}
	secs, err := strconv.ParseInt(*epoch, 10, 64)
	if err != nil || secs < 0 {
		return o, usageError{fmt.Errorf("-source-date-epoch %q: want Unix seconds", *epoch)}
	}
	o.modTime = time.Unix(secs, 0).UTC()
	for _, s := range strings.Split(*platforms, ",") {
		p, err := v1.ParsePlatform(strings.TrimSpace(s))
		if err != nil || p.OS == "" || p.Architecture == "" || p.Variant != "" {
			return o, usageError{fmt.Errorf("-platforms %q: want OS/ARCH", s)}
		}
		o.platforms = append(o.platforms, *p)
	}
	if o.out == "" {
		return o, usageError{errors.New("-out: empty")}
	}
	return o, nil
}
