package gobuild

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// MainPackage is the binary every artifact ships.
const MainPackage = "./cmd/pullthrough"

// Compile cross-compiles MainPackage for p into dir and returns the path.
func Compile(ctx context.Context, dir string, p v1.Platform, ldflags string) (string, error) {
	out := filepath.Join(dir, "pullthrough-"+p.OS+"-"+p.Architecture+p.Variant)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", ldflags, "-o", out, MainPackage)
	cmd.Env = append(Env(p), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build for %s: %w\n%s", p, err, msg)
	}
	return out, nil
}

// goFlags are the only GOFLAGS the go command gets: the caller's (a
// -mod=mod, a -tags, an -overlay) would change what is built and so the
// artifact, which must follow from the source and go.sum alone.
const goFlags = "GOFLAGS=-mod=readonly"

// Environ is the process's environment with GOFLAGS pinned to goFlags: the
// environment of every go command an artifact's build runs.
func Environ() []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "GOFLAGS=") })
	return append(env, goFlags)
}

// Env is the environment that makes the go command target p.
func Env(p v1.Platform) []string {
	env := append(Environ(), "GOOS="+p.OS, "GOARCH="+p.Architecture)
	switch {
	case p.Variant == "":
	case p.Architecture == "arm":
		env = append(env, "GOARM="+strings.TrimPrefix(p.Variant, "v"))
	case p.Architecture == "amd64":
		env = append(env, "GOAMD64="+p.Variant)
	}
	return env
}
