package main

import (
	"github.com/pullthrough/pullthrough/internal/gobuild"

	"context"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// docDir is where the image carries the license texts.
const docDir = "/usr/share/doc/pullthrough"

// caModule is the module image.CABundle reads the roots from.
const caModule = "golang.org/x/crypto/x509roots/fallback"

// legalFile matches the files a binary distribution must carry: Apache-2.0
// asks for the NOTICE files of what it includes, BSD and MIT for the
// license texts.
var legalFile = regexp.MustCompile(`(?i)^(licen[cs]e|copying|notice)([-.][a-z0-9]+)?$`)

// licenses returns the legal files of every module linked into the binary
// for any of platforms, and of the Go standard library, as image path ->
// contents: the main module's at docDir, each other module's under
// docDir/third_party/MODULE/.
func licenses(ctx context.Context, root string, platforms []v1.Platform) (map[string][]byte, error) {
	main, err := goOutput(ctx, gobuild.Environ(), "list", "-m")
	if err != nil {
		return nil, err
	}
	dirs := map[string]string{}
	for _, p := range platforms {
		d, err := moduleDirs(ctx, p)
		if err != nil {
			return nil, err
		}
		maps.Copy(dirs, d)
	}
	// The standard library, and the module whose CA bundle the image carries.
	if dirs["std"], err = goOutput(ctx, gobuild.Environ(), "env", "GOROOT"); err != nil {
		return nil, err
	}
	if dirs[caModule], err = goOutput(ctx, gobuild.Environ(), "list", "-m", "-f", "{{.Dir}}", caModule); err != nil {
		return nil, err
	}
	dirs[main] = root
	files := map[string][]byte{}
	for _, mod := range slices.Sorted(maps.Keys(dirs)) {
		dest := path.Join(docDir, "third_party", mod)
		if mod == main {
			dest = docDir
		}
		if err := addLegalFiles(files, dirs[mod], dest); err != nil {
			return nil, fmt.Errorf("module %s: %w", mod, err)
		}
	}
	return files, nil
}

// addLegalFiles copies dir's top-level legal files into files under dest.
func addLegalFiles(files map[string][]byte, dir, dest string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("listing its legal files: %w", err)
	}
	found := false
	for _, e := range entries {
		if !e.Type().IsRegular() || !legalFile.MatchString(e.Name()) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return fmt.Errorf("reading its legal files: %w", err)
		}
		files[path.Join(dest, e.Name())] = data
		found = true
	}
	if !found {
		return fmt.Errorf("no LICENSE, COPYING or NOTICE file in %s", dir)
	}
	return nil
}
