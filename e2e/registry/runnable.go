package registry

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/internal/image"
)

// sleeperPath is where runnable images hold the sleeper program: their entrypoint.
const sleeperPath = "/bin/sleeper"

// sleeper is the static sleeper binary, built once per process.
var sleeper = sync.OnceValues(buildSleeper)

// buildSleeper compiles e2e/registry/sleeper for linux on this machine's
// architecture, statically, and returns its bytes.
func buildSleeper() (_ []byte, err error) {
	root, err := cluster.RepoRoot()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pullthrough-sleeper-")
	if err != nil {
		return nil, fmt.Errorf("building the sleeper: %w", err)
	}
	defer func() {
		if rmErr := os.RemoveAll(dir); rmErr != nil && err == nil {
			err = fmt.Errorf("removing the sleeper's build directory: %w", rmErr)
		}
	}()
	out := filepath.Join(dir, "sleeper")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./e2e/registry/sleeper")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the sleeper (go build ./e2e/registry/sleeper): %w: %s", err, msg)
	}
	return os.ReadFile(out)
}

// runnableImage is one layer built by the project's own image builder
// (internal/image): the sleeper as entrypoint and a file naming ref.
func runnableImage(ref string) (v1.Image, error) {
	bin, err := sleeper()
	if err != nil {
		return nil, err
	}
	layer, err := image.Layer([]image.File{
		{Path: sleeperPath, Mode: 0o755, Data: bin},
		{Path: "/etc/e2e-image", Mode: 0o644, Data: []byte(ref + "\n")},
	}, time.Unix(0, 0))
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layer)
	if err != nil {
		return nil, err
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", runtime.GOARCH
	cfg.Config.Entrypoint = []string{sleeperPath}
	return mutate.ConfigFile(img, cfg)
}
