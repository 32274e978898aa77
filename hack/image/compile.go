package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// mainPackage is the binary the image runs.
const mainPackage = "./cmd/pullthrough"

// compile cross-compiles mainPackage for p into dir and returns the path:
// static (CGO off), with no build paths (-trimpath), so that only the
// source, go.sum, the toolchain and ldflags decide its bytes.
func compile(ctx context.Context, dir string, p v1.Platform, ldflags string) (string, error) {
	out := filepath.Join(dir, "pullthrough-"+p.OS+"-"+p.Architecture+p.Variant)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", ldflags, "-o", out, mainPackage)
	cmd.Env = append(goEnv(p), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build for %s: %w\n%s", p, err, msg)
	}
	return out, nil
}

// goFlags are the only GOFLAGS the go command gets: the caller's (a
// -mod=mod, a -tags, an -overlay) would change what is built and so the
// image, which must follow from the source and go.sum alone.
const goFlags = "GOFLAGS=-mod=readonly"

// goEnviron is the process's environment with GOFLAGS pinned to goFlags.
func goEnviron() []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "GOFLAGS=") })
	return append(env, goFlags)
}

// goEnv is the environment that makes the go command target p.
func goEnv(p v1.Platform) []string {
	env := append(goEnviron(), "GOOS="+p.OS, "GOARCH="+p.Architecture)
	switch {
	case p.Variant == "":
	case p.Architecture == "arm":
		env = append(env, "GOARM="+strings.TrimPrefix(p.Variant, "v"))
	case p.Architecture == "amd64":
		env = append(env, "GOAMD64="+p.Variant)
	}
	return env
}

// moduleDirs returns the module cache directory of every module linked into
// mainPackage for p, the main module's first, as path -> directory.
func moduleDirs(ctx context.Context, p v1.Platform) (map[string]string, error) {
	out, err := goOutput(ctx, goEnv(p), "list", "-deps", "-f", "{{with .Module}}{{.Path}}\t{{.Dir}}{{end}}", mainPackage)
	if err != nil {
		return nil, err
	}
	dirs := map[string]string{}
	for line := range strings.Lines(out) {
		path, dir, ok := strings.Cut(strings.TrimSpace(line), "\t")
		if ok && dir != "" {
			dirs[path] = dir
		}
	}
	return dirs, nil
}

// goOutput runs the go command with env and returns its standard output.
func goOutput(ctx context.Context, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return strings.TrimSpace(string(out)), nil
}
