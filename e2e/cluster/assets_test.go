package cluster

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseVersions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		wantErr error  // a sentinel the error must wrap
		errText string // text the error must contain
	}{
		{
			// The shape of hack/versions.env: comments, blanks, KEY=value.
			name: "pinned file",
			in:   "# comment\n\nK8S_VERSION=v1.37.2\nETCD_VERSION=v3.7.3\n",
			want: map[string]string{"K8S_VERSION": "v1.37.2", "ETCD_VERSION": "v3.7.3"},
		},
		{
			// The cache directory is named after both versions; one missing must not
			// silently yield a directory named "k8s--etcd-v3.7.3".
			name:    "missing version",
			in:      "ETCD_VERSION=v3.7.3\n",
			wantErr: errNoVersion,
		},
		{
			// A line bash would not assign is reported with its number.
			name:    "not an assignment",
			in:      "K8S_VERSION=v1.37.2\nexport\n",
			errText: "line 2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseVersions(strings.NewReader(tt.in))
			switch {
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			case tt.errText != "" && (err == nil || !strings.Contains(err.Error(), tt.errText)):
				t.Fatalf("err = %v, want one containing %q", err, tt.errText)
			case tt.wantErr == nil && tt.errText == "" && err != nil:
				t.Fatal(err)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

// TestAssetsDirNamesTheBuild checks that a missing binary's error tells how to build it,
// which is what a developer without the cache sees first.
func TestAssetsDirNamesTheBuild(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(assetsEnv, dir)
	_, err := AssetsDir()
	if err == nil || !strings.Contains(err.Error(), "make e2e-bins") || !strings.Contains(err.Error(), filepath.Join(dir, "etcd")) {
		t.Fatalf("err = %v, want one naming %s and `make e2e-bins`", err, filepath.Join(dir, "etcd"))
	}
	for _, name := range binaries {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := AssetsDir(); err != nil || got != dir {
		t.Fatalf("AssetsDir() = %q, %v; want %q", got, err, dir)
	}
	// The registry is looked up on its own: a control plane without it still starts.
	reg := filepath.Join(dir, registryBinary)
	if _, err := RegistryBinary(); err == nil || !strings.Contains(err.Error(), reg) {
		t.Fatalf("RegistryBinary() err = %v, want one naming %s", err, reg)
	}
	if err := os.WriteFile(reg, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := RegistryBinary(); err != nil || got != reg {
		t.Fatalf("RegistryBinary() = %q, %v; want %q", got, err, reg)
	}
}

// TestCacheDirFollowsTheVersion checks that make test K8S_VERSION=... (through
// PULLTHROUGH_K8S_VERSION) looks for the control plane hack/e2e-bins.sh builds
// for that version, in a directory of its own, and for the pinned one otherwise.
func TestCacheDirFollowsTheVersion(t *testing.T) {
	t.Setenv(assetsEnv, "")
	t.Setenv(k8sVersionEnv, "") // as make test runs it, not make test K8S_VERSION=...
	t.Setenv("XDG_CACHE_HOME", "/cache")
	pinned, err := cacheDir()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(k8sVersionEnv, "v1.35.4")
	other, err := cacheDir()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(other, "/cache/pullthrough/e2e/k8s-v1.35.4-etcd-") || other == pinned {
		t.Errorf("cacheDir() with %s=v1.35.4 = %s (pinned: %s), want the v1.35.4 build's own directory", k8sVersionEnv, other, pinned)
	}
}
