package cluster

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// assetsEnv names the directory of control-plane binaries, as envtest and setup-envtest use it.
const assetsEnv = "KUBEBUILDER_ASSETS"

// versionsFile pins the binaries' versions, relative to the repository root.
var versionsFile = filepath.Join("hack", "versions.env")

// binaries are the programs a cluster runs; hack/e2e-bins.sh builds all of them.
var binaries = []string{"etcd", "kube-apiserver", "kube-controller-manager"}

// k8sVersionEnv replaces hack/versions.env's K8S_VERSION for one run (make test
// K8S_VERSION=...), as it does for hack/e2e-bins.sh.
const k8sVersionEnv = "PULLTHROUGH_K8S_VERSION"

// registryBinary is the Distribution registry hack/e2e-bins.sh builds beside them.
const registryBinary = "registry"

// AssetsDir returns the directory holding etcd, kube-apiserver and kube-controller-manager
// so that tests run against the pinned versions without a download: $KUBEBUILDER_ASSETS
// when set, else the cache directory hack/e2e-bins.sh fills for hack/versions.env.
// The error names the missing file and how to build it.
func AssetsDir() (string, error) {
	return findBinaries(binaries...)
}

// nodeBinaries are the node's runtime, in a directory of their own that every
// Kubernetes version shares; the kubelet lives with the control plane.
var nodeBinaries = []string{"containerd", "containerd-shim-runc-v2", "runc", "cni/loopback"}

// NodeAssetsDir returns the directory holding the node's containerd, its runc
// shim, runc and the CNI plugins (cni/), the one hack/e2e-bins.sh builds for
// hack/versions.env's CONTAINERD_VERSION, RUNC_VERSION and CNI_PLUGINS_VERSION.
// The error names the missing file and how to build it.
func NodeAssetsDir() (string, error) {
	versions, cache, err := pinned()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "node-containerd-"+versions["CONTAINERD_VERSION"]+
		"-runc-"+versions["RUNC_VERSION"]+"-cni-"+versions["CNI_PLUGINS_VERSION"])
	return dir, checkBinaries(dir, nodeBinaries...)
}

// RegistryBinary returns the path of the Distribution registry that package
// e2e/registry runs as upstreams and pull-through proxies, looked up like AssetsDir
// (its own version, REGISTRY_VERSION, is checked by hack/e2e-bins.sh).
func RegistryBinary() (string, error) {
	dir, err := findBinaries(registryBinary)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, registryBinary), nil
}

// findBinaries returns the assets directory once every named binary is in it.
func findBinaries(names ...string) (string, error) {
	dir := os.Getenv(assetsEnv)
	if dir == "" {
		var err error
		if dir, err = cacheDir(); err != nil {
			return "", err
		}
	}
	return dir, checkBinaries(dir, names...)
}

// checkBinaries fails naming the first of names missing from dir.
func checkBinaries(dir string, names ...string) error {
	for _, name := range names {
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("e2e binary %s: %w; build it with `make e2e-bins` (hack/e2e-bins.sh)", path, err)
		}
	}
	return nil
}

// cacheDir computes the directory hack/e2e-bins.sh builds into; keep the two in step.
func cacheDir() (string, error) {
	versions, cache, err := pinned()
	if err != nil {
		return "", err
	}
	k8s := versions["K8S_VERSION"]
	if v := os.Getenv(k8sVersionEnv); v != "" {
		k8s = v
	}
	return filepath.Join(cache, "k8s-"+k8s+"-etcd-"+versions["ETCD_VERSION"]), nil
}

// pinned reads hack/versions.env and returns it with the cache's root.
func pinned() (versions map[string]string, cache string, err error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, "", fmt.Errorf("%w; or set %s to the binaries' directory", err, assetsEnv)
	}
	if versions, err = readVersions(filepath.Join(root, versionsFile)); err != nil {
		return nil, "", err
	}
	cache, err = cacheRoot()
	return versions, cache, err
}

// cacheRoot is the directory hack/e2e-bins.sh builds under: the same rule as the
// script's ${XDG_CACHE_HOME:-$HOME/.cache}/pullthrough/e2e, on every OS, where
// os.UserCacheDir would pick another directory on macOS.
func cacheRoot() (string, error) {
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("finding the e2e binary cache: %w", err)
		}
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "pullthrough", "e2e"), nil
}

// RepoRoot walks up from the working directory (the package directory under
// go test, the repository under go run) to the repository root, the directory
// holding hack/versions.env. Source paths from runtime.Caller would not do:
// -trimpath makes them module-relative.
func RepoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding %s: %w", versionsFile, err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, versionsFile)); err == nil {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no %s in %s or any parent: not inside the repository", versionsFile, wd)
		}
	}
}

// readVersions parses the KEY=value lines of hack/versions.env (comments and blank lines
// skipped) and requires the two versions the cache directory is named after.
func readVersions(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading pinned versions: %w", err)
	}
	defer f.Close()
	versions, err := parseVersions(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return versions, nil
}

// errNoVersion reports a versions file that lacks a version the cache is named after.
var errNoVersion = errors.New("version not set")

func parseVersions(r io.Reader) (map[string]string, error) {
	versions := map[string]string{}
	scanner := bufio.NewScanner(r)
	for line := 1; scanner.Scan(); line++ {
		text := strings.TrimSpace(scanner.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		key, value, ok := strings.Cut(text, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: %q is not KEY=value", line, text)
		}
		versions[strings.TrimSpace(key)] = strings.TrimSpace(value)
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("reading: %w", err)
	}
	for _, key := range []string{"K8S_VERSION", "ETCD_VERSION"} {
		if versions[key] == "" {
			return nil, fmt.Errorf("%s: %w", key, errNoVersion)
		}
	}
	return versions, nil
}
