package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullthrough/pullthrough/internal/image"
)

// options are the flags, checked.
type options struct {
	meta       image.Meta
	platforms  []v1.Platform
	ldflags    string
	ref        name.Reference // nil: write layoutDir
	layoutDir  string
	sbomDir    string
	digestFile string
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		o         options
		ref       = fs.String("image", "", "push the index to this reference (REGISTRY/REPO:TAG); empty: write -layout")
		epoch     = fs.String("source-date-epoch", "", "every time in the image, as Unix seconds (the commit time)")
		platforms = fs.String("platforms", "linux/amd64,linux/arm64", "comma-separated OS/ARCH[/VARIANT] to build")
	)
	fs.StringVar(&o.meta.Version, "version", "", "release version for labels and the SBOM, e.g. 0.1.0")
	fs.StringVar(&o.meta.Revision, "revision", "", "full commit hash")
	fs.StringVar(&o.meta.Source, "source", "https://github.com/pullthrough/pullthrough", "source repository URL")
	fs.StringVar(&o.ldflags, "ldflags", "", "go build -ldflags (make passes the same as make build)")
	fs.StringVar(&o.layoutDir, "layout", "bin/image", "OCI layout directory written when -image is empty (replaced)")
	fs.StringVar(&o.sbomDir, "sbom-dir", "", "replace this directory with the SBOMs and subjects: each platform image digest and its SBOM file")
	fs.StringVar(&o.digestFile, "digest-file", "", "write the index digest (sha256:...) here")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, usageError{err}
	}
	if fs.NArg() > 0 {
		return o, usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	secs, err := strconv.ParseInt(*epoch, 10, 64)
	if err != nil || secs < 0 {
		return o, usageError{fmt.Errorf("-source-date-epoch %q: want Unix seconds", *epoch)}
	}
	o.meta.Created = time.Unix(secs, 0).UTC()
	if err := o.meta.Validate(); err != nil {
		return o, usageError{fmt.Errorf("-%w", err)}
	}
	for _, s := range strings.Split(*platforms, ",") {
		p, err := v1.ParsePlatform(strings.TrimSpace(s))
		if err != nil || p.OS == "" || p.Architecture == "" {
			return o, usageError{fmt.Errorf("-platforms %q: want OS/ARCH[/VARIANT]", s)}
		}
		o.platforms = append(o.platforms, *p)
	}
	if *ref != "" {
		if o.ref, err = name.ParseReference(*ref); err != nil {
			return o, usageError{fmt.Errorf("-image %q: %w", *ref, err)}
		}
	}
	return o, nil
}
