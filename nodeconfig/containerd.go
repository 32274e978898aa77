package nodeconfig

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// The CRI's image settings live in one plugin section in containerd 2.x's
// configuration (version 3) and in another in version 2 files, which containerd
// 2.x migrates when it loads them.
const (
	criImagesV3 = "io.containerd.cri.v1.images"
	criV2       = "io.containerd.grpc.v1.cri"
)

// stockConfigPath is config_path when it is unset (and no deprecated mirrors
// are), from containerd 2.2 on; earlier versions read no host files then.
const stockConfigPath = "/etc/containerd/certs.d:/etc/docker/certs.d"

// ContainerdVersion is the major and minor version of the containerd whose
// configuration is checked: what it does with config_path depends on it.
type ContainerdVersion struct{ Major, Minor int }

// NewestContainerd is the behaviour CheckContainerd assumes when the version is
// not given: that of every containerd from 2.2 on.
var NewestContainerd = ContainerdVersion{Major: 2, Minor: 2}

// ParseContainerdVersion reads "2.1", "v2.2.9" or "1.7.27".
func ParseContainerdVersion(s string) (ContainerdVersion, error) {
	parts := strings.SplitN(strings.TrimPrefix(s, "v"), ".", 3)
	if len(parts) < 2 {
		return ContainerdVersion{}, fmt.Errorf("containerd version %q: want MAJOR.MINOR[.PATCH]", s)
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || major < 1 {
		return ContainerdVersion{}, fmt.Errorf("containerd version %q: want MAJOR.MINOR[.PATCH]", s)
	}
	return ContainerdVersion{Major: major, Minor: minor}, nil
}

func (v ContainerdVersion) atLeast(major, minor int) bool {
	return v.Major > major || v.Major == major && v.Minor >= minor
}

// ContainerdConfig is the part of a containerd configuration, imports merged,
// that decides whether the CRI reads registry host files: the CRI image
// plugin's section.
type ContainerdConfig struct {
	// Files are the files read, the main one first, then its imports in order.
	Files []string
	// images is the CRI image section as containerd 2.x sees it after migration.
	images map[string]any
}

// LoadContainerdConfig reads a containerd configuration as containerd does:
// the file, then each file its imports name (globs, relative to the importing
// file), each replacing whole plugin sections of what came before.
func LoadContainerdConfig(path string) (ContainerdConfig, error) {
	var cfg ContainerdConfig
	pending := []string{path}
	for len(pending) > 0 {
		file := pending[0]
		pending = pending[1:]
		if slices.Contains(cfg.Files, file) {
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return cfg, fmt.Errorf("containerd configuration: %w", err)
		}
		var doc map[string]any
		if err := toml.Unmarshal(data, &doc); err != nil {
			return cfg, fmt.Errorf("containerd configuration %s: %w", file, err)
		}
		cfg.Files = append(cfg.Files, file)
		if images := criImages(doc); images != nil {
			cfg.images = images
		}
		imports, err := importsOf(file, doc)
		if err != nil {
			return cfg, err
		}
		pending = append(pending, imports...)
	}
	return cfg, nil
}

// criImages returns the CRI image section of one file, a version 2 file's
// migrated as containerd 2.x migrates it, or nil when the file has none.
func criImages(doc map[string]any) map[string]any {
	plugins := asMap(doc["plugins"])
	if images, ok := plugins[criImagesV3].(map[string]any); ok {
		return images
	}
	old := asMap(plugins[criV2])
	if old == nil || configVersion(doc) >= 3 {
		return nil
	}
	images := map[string]any{}
	for _, key := range []string{"registry", "max_concurrent_downloads", "image_pull_with_sync_fs"} {
		if v, ok := old[key]; ok {
			images[key] = v
		}
	}
	runtime := asMap(old["containerd"])
	for _, key := range []string{"disable_snapshot_annotations", "discard_unpacked_layers"} {
		if v, ok := runtime[key]; ok {
			images[key] = v
		}
	}
	return images
}

func configVersion(doc map[string]any) int64 {
	v, _ := doc["version"].(int64)
	return v
}

// importsOf resolves a file's imports the way containerd does.
func importsOf(file string, doc map[string]any) ([]string, error) {
	list, _ := doc["imports"].([]any)
	var out []string
	for _, item := range list {
		p, ok := item.(string)
		if !ok {
			return nil, fmt.Errorf("containerd configuration %s: imports holds %v, not a path", file, item)
		}
		p = filepath.Clean(p)
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(file), p)
		}
		if !strings.Contains(p, "*") {
			out = append(out, p)
			continue
		}
		matches, err := filepath.Glob(p)
		if err != nil {
			return nil, fmt.Errorf("containerd configuration %s: import %q: %w", file, p, err)
		}
		out = append(out, matches...)
	}
	return out, nil
}

// errIgnored is wrapped by every verdict that the files are not read.
var errIgnored = errors.New("containerd's CRI would not read pullthrough's host files")

// CheckContainerd says whether a containerd of version v with cfg makes its
// CRI pulls read the host files in dir: nil when it does, else an error that
// names the reason and the setting that fixes it.
func CheckContainerd(cfg ContainerdConfig, v ContainerdVersion, dir string) error {
	configPath, set := registryConfigPath(cfg.images)
	if !set && v.atLeast(2, 2) && !hasDeprecatedMirrors(cfg.images) {
		configPath = stockConfigPath
	}
	fix := fmt.Sprintf("set config_path = %q under [plugins.%q.registry]", dir, criImagesV3)
	if configPath == "" {
		return fmt.Errorf("%w: config_path is not set, so containerd %d.%d reads no host files; %s", errIgnored, v.Major, v.Minor, fix)
	}
	listed := slices.ContainsFunc(filepath.SplitList(configPath), func(d string) bool { return filepath.Clean(d) == filepath.Clean(dir) })
	local, why := localPull(cfg.images, v)
	switch {
	case local && listed, !local && filepath.Clean(configPath) == filepath.Clean(dir):
		return nil
	case listed:
		return fmt.Errorf("%w: containerd %d.%d pulls for the CRI through its transfer service, which reads config_path %q as one directory, not as a list, so pulls go to the public registries; %s",
			errIgnored, v.Major, v.Minor, configPath, fix)
	case local:
		return fmt.Errorf("%w: config_path %q does not name %s (containerd reads it as a list: %s); %s", errIgnored, configPath, dir, why, fix)
	default:
		return fmt.Errorf("%w: config_path %q does not name %s; %s", errIgnored, configPath, dir, fix)
	}
}

// registryConfigPath returns registry.config_path and whether it is set.
func registryConfigPath(images map[string]any) (string, bool) {
	p, ok := asMap(images["registry"])["config_path"].(string)
	return p, ok && p != ""
}

func hasDeprecatedMirrors(images map[string]any) bool {
	return len(asMap(asMap(images["registry"])["mirrors"])) > 0
}

// localPull reports whether the CRI pulls with containerd's local client
// (which splits config_path at colons) rather than the transfer service (the
// default from 2.1), and why: before 2.1 always; from 2.1 when asked to, or
// when a setting the transfer service does not support is present.
func localPull(images map[string]any, v ContainerdVersion) (bool, string) {
	if !v.atLeast(2, 1) {
		return true, fmt.Sprintf("containerd %d.%d pulls with its local client", v.Major, v.Minor)
	}
	registry := asMap(images["registry"])
	switch {
	case images["use_local_image_pull"] == true:
		return true, "use_local_image_pull = true"
	case images["disable_snapshot_annotations"] == false:
		return true, "disable_snapshot_annotations = false"
	case images["discard_unpacked_layers"] == true:
		return true, "discard_unpacked_layers = true"
	case images["image_pull_with_sync_fs"] == true:
		return true, "image_pull_with_sync_fs = true"
	case len(asMap(registry["mirrors"])) > 0 || len(asMap(registry["configs"])) > 0 || len(asMap(registry["auths"])) > 0:
		return true, "deprecated registry mirrors, configs or auths"
	}
	if n, ok := images["max_concurrent_downloads"].(int64); ok && n != 3 {
		return true, "max_concurrent_downloads = " + strconv.FormatInt(n, 10)
	}
	return false, ""
}

// asMap reads a TOML table, or nil when v is none.
func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
