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
