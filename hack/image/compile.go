package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pullthrough/pullthrough/internal/gobuild"
)

// moduleDirs returns the module cache directory of every module linked into
// gobuild.MainPackage for p, the main module's first, as path -> directory.
func moduleDirs(ctx context.Context, p v1.Platform) (map[string]string, error) {
	out, err := goOutput(ctx, gobuild.Env(p), "list", "-deps", "-f", "{{with .Module}}{{.Path}}\t{{.Dir}}{{end}}", gobuild.MainPackage)
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
