package nodeconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hostsDir stands for the directory the node agent writes into.
const hostsDir = "/etc/containerd/certs.d"

func TestCheckContainerd(t *testing.T) {
	v3 := func(body string) string { return "version = 3\n" + body }
	images := "[plugins.'io.containerd.cri.v1.images'.registry]\n"
	tests := []struct {
		name    string
		files   map[string]string // main.toml and its imports
		version string
		ignored string // "" when the files are read, else a word of the reason
	}{
		{"one directory, newest", map[string]string{"main.toml": v3(images + "config_path = '/etc/containerd/certs.d'\n")}, "2.4.2", ""},
		{"a list, transfer service", map[string]string{"main.toml": v3(images + "config_path = '/etc/containerd/certs.d:/etc/docker/certs.d'\n")}, "2.4.2", "one directory"},
		{"a list, 2.1", map[string]string{"main.toml": v3(images + "config_path = '/etc/containerd/certs.d:/etc/docker/certs.d'\n")}, "2.1.6", "one directory"},
		{"a list, 2.0 pulls locally", map[string]string{"main.toml": v3(images + "config_path = '/etc/containerd/certs.d:/etc/docker/certs.d'\n")}, "2.0.7", ""},
		{"a list, use_local_image_pull", map[string]string{"main.toml": v3("[plugins.'io.containerd.cri.v1.images']\nuse_local_image_pull = true\n" + images + "config_path = '/etc/docker/certs.d:/etc/containerd/certs.d'\n")}, "2.2.9", ""},
		{"a list, max_concurrent_downloads falls back to local", map[string]string{"main.toml": v3("[plugins.'io.containerd.cri.v1.images']\nmax_concurrent_downloads = 10\n" + images + "config_path = '/etc/containerd/certs.d:/x'\n")}, "2.2.9", ""},
		{"a list, snapshot annotations on falls back to local", map[string]string{"main.toml": v3("[plugins.'io.containerd.cri.v1.images']\ndisable_snapshot_annotations = false\n" + images + "config_path = '/x:/etc/containerd/certs.d'\n")}, "2.4.2", ""},
		{"unset, stock default list", map[string]string{"main.toml": v3("")}, "2.2.9", "one directory"},
		{"unset, 2.1 reads none", map[string]string{"main.toml": v3("")}, "2.1.6", "not set"},
		{"another directory", map[string]string{"main.toml": v3(images + "config_path = '/etc/docker/certs.d'\n")}, "2.4.2", "does not name"},
		{"a list without the directory, local", map[string]string{"main.toml": v3(images + "config_path = '/a:/b'\n")}, "2.0.7", "does not name"},
		{"version 2 file migrated", map[string]string{"main.toml": "version = 2\n[plugins.'io.containerd.grpc.v1.cri'.registry]\nconfig_path = '/etc/containerd/certs.d'\n"}, "2.2.9", ""},
		{"version 2 file, list, containerd 1.7", map[string]string{"main.toml": "version = 2\n[plugins.'io.containerd.grpc.v1.cri'.registry]\nconfig_path = '/etc/containerd/certs.d:/etc/docker/certs.d'\n"}, "1.7.27", ""},
		{"a drop-in sets one directory", map[string]string{
			"main.toml":                    v3("imports = ['config.d/*.toml']\n" + images + "config_path = '/etc/containerd/certs.d:/etc/docker/certs.d'\n"),
			"config.d/50-pullthrough.toml": v3(images + "config_path = '/etc/containerd/certs.d'\n"),
		}, "2.4.2", ""},
		{"a drop-in replaces the whole section", map[string]string{
			"main.toml":            v3("imports = ['/IMPORTS/config.d/*.toml']\n" + images + "config_path = '/etc/containerd/certs.d'\n"),
			"config.d/10-gpu.toml": v3("[plugins.'io.containerd.cri.v1.images']\nsnapshotter = 'overlayfs'\n"),
		}, "2.4.2", "one directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, text := range tt.files {
				path := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(strings.ReplaceAll(text, "/IMPORTS", dir)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cfg, err := LoadContainerdConfig(filepath.Join(dir, "main.toml"))
			if err != nil {
				t.Fatal(err)
			}
			if len(cfg.Files) != len(tt.files) {
				t.Errorf("read %v; want %d files", cfg.Files, len(tt.files))
			}
			v, err := ParseContainerdVersion(tt.version)
			if err != nil {
				t.Fatal(err)
			}
			err = CheckContainerd(cfg, v, hostsDir)
			switch {
			case tt.ignored == "" && err != nil:
				t.Errorf("got %v; want the files read", err)
			case tt.ignored != "" && (err == nil || !errors.Is(err, errIgnored) || !strings.Contains(err.Error(), tt.ignored)):
				t.Errorf("got %v; want ignored, %q", err, tt.ignored)
			}
		})
	}
}

func TestParseContainerdVersion(t *testing.T) {
	tests := []struct {
		in   string
		want ContainerdVersion
		err  bool
	}{
		{"2.1", ContainerdVersion{2, 1}, false},
		{"v2.2.9", ContainerdVersion{2, 2}, false},
		{"1.7.27", ContainerdVersion{1, 7}, false},
		{"2", ContainerdVersion{}, true},
		{"two.one", ContainerdVersion{}, true},
		{"", ContainerdVersion{}, true},
	}
	for _, tt := range tests {
		got, err := ParseContainerdVersion(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseContainerdVersion(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestLoadContainerdConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte("version = [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadContainerdConfig(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("a malformed file: got %v; want an error naming %s", err, bad)
	}
	if _, err := LoadContainerdConfig(filepath.Join(dir, "missing.toml")); err == nil {
		t.Error("a missing file: no error")
	}
}

// FuzzCheckContainerd holds that no configuration, however malformed, makes the
// check panic, and that a verdict of "ignored" always says why.
func FuzzCheckContainerd(f *testing.F) {
	for _, seed := range []string{
		"version = 3\n[plugins.'io.containerd.cri.v1.images'.registry]\nconfig_path = '/etc/containerd/certs.d'\n",
		"version = 2\n[plugins.'io.containerd.grpc.v1.cri'.registry]\nconfig_path = 1\n",
		"version = 2\n[plugins.'io.containerd.grpc.v1.cri']\ncontainerd = 'x'\n",
		"imports = [1]\n",
		"[plugins]\n'io.containerd.cri.v1.images' = 3\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		path := filepath.Join(t.TempDir(), "config.toml")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadContainerdConfig(path)
		if err != nil {
			return
		}
		if err := CheckContainerd(cfg, NewestContainerd, hostsDir); err != nil && !strings.Contains(err.Error(), "config_path") {
			t.Errorf("a verdict that does not name config_path: %v", err)
		}
	})
}
