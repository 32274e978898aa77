package deploy

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// checkImage checks the pushed index ref (REPO@DIGEST): its platforms, and
// for each image the user, the entrypoint, the labels, the CA bundle, the
// license texts and the SBOM attached to it; it runs the linux/amd64 binary's
// `version` from the extracted root filesystem when the host can.
func checkImage(t *testing.T, ref, revision string) {
	d, err := name.NewDigest(ref)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(d, remote.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var platforms []string
	for _, desc := range im.Manifests {
		platforms = append(platforms, desc.Platform.String())
	}
	if !slices.Equal(platforms, []string{"linux/amd64", "linux/arm64"}) {
		t.Errorf("index platforms %v, want linux/amd64 and linux/arm64", platforms)
	}
	wantLabels := map[string]string{
		"org.opencontainers.image.source":   "https://github.com/pullthrough/pullthrough",
		"org.opencontainers.image.revision": revision,
		"org.opencontainers.image.version":  releaseVersion,
		"org.opencontainers.image.licenses": "Apache-2.0",
	}
	checkLabels(t, "index annotations", im.Annotations, wantLabels)
	for _, desc := range im.Manifests {
		t.Run(desc.Platform.String(), func(t *testing.T) {
			img, err := idx.Image(desc.Digest)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Config.User != "65532:65532" || !slices.Equal(cfg.Config.Entrypoint, []string{"/pullthrough"}) {
				t.Errorf("user %q, entrypoint %q: want 65532:65532 and [/pullthrough]", cfg.Config.User, cfg.Config.Entrypoint)
			}
			if cfg.Architecture != desc.Platform.Architecture || cfg.OS != desc.Platform.OS {
				t.Errorf("config platform %s/%s under index entry %s", cfg.OS, cfg.Architecture, desc.Platform)
			}
			checkLabels(t, "config labels", cfg.Config.Labels, wantLabels)
			logSize(t, img)
			files := rootfs(t, img)
			checkFiles(t, files)
			checkSBOM(t, d.Context().Digest(desc.Digest.String()), files["pullthrough"].data)
			if desc.Platform.Architecture == runtime.GOARCH && desc.Platform.OS == runtime.GOOS {
				runVersion(t, files)
			}
		})
	}
}

// logSize logs what a node pulls for img, its layers compressed, for the
// release notes.
func logSize(t *testing.T, img v1.Image) {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var compressed int64
	for _, l := range layers {
		size, err := l.Size()
		if err != nil {
			t.Fatal(err)
		}
		compressed += size
	}
	t.Logf("%d layers, %.2f MB compressed", len(layers), float64(compressed)/1e6)
}

func checkLabels(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got[k], v)
		}
	}
}

// file is a regular file of a root filesystem.
type file struct {
	mode int64
	data []byte
}

// rootfs flattens img's layers into path -> file (no leading slash).
func rootfs(t *testing.T, img v1.Image) map[string]file {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	files := map[string]file{}
	r := tar.NewReader(rc)
	for {
		h, err := r.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = file{mode: h.Mode, data: data}
	}
}

// checkFiles: the binary is executable by anyone (the image runs as 65532),
// the CA bundle holds the Mozilla roots, the license texts are there.
func checkFiles(t *testing.T, files map[string]file) {
	t.Helper()
	if bin, ok := files["pullthrough"]; !ok || bin.mode&0o005 != 0o005 {
		t.Errorf("/pullthrough: present %v, mode %o: want a binary others may run", ok, bin.mode)
	}
	certs := 0
	for block, rest := pem.Decode(files["etc/ssl/certs/ca-certificates.crt"].data); block != nil; block, rest = pem.Decode(rest) {
		certs++
	}
	if certs < 100 {
		t.Errorf("/etc/ssl/certs/ca-certificates.crt: %d certificates, want the Mozilla roots (>100)", certs)
	}
	for _, p := range []string{"usr/share/doc/pullthrough/LICENSE", "usr/share/doc/pullthrough/NOTICE",
		"usr/share/doc/pullthrough/third_party/std/LICENSE",
		"usr/share/doc/pullthrough/third_party/github.com/prometheus/client_golang/NOTICE"} {
		if len(files[p].data) == 0 {
			t.Errorf("/%s: missing or empty", p)
		}
	}
}

// checkSBOM finds the SPDX document among subject's referrers and checks
// that it describes this binary at this version.
func checkSBOM(t *testing.T, subject name.Digest, binary []byte) {
	t.Helper()
	refs, err := remote.Referrers(subject, remote.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	rm, err := refs.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var sboms []v1.Descriptor
	for _, desc := range rm.Manifests {
		if desc.ArtifactType == "application/spdx+json" {
			sboms = append(sboms, desc)
		}
	}
	if len(sboms) != 1 {
		t.Fatalf("referrers of %s: %d SPDX documents, want 1 (%+v)", subject, len(sboms), rm.Manifests)
	}
	art, err := remote.Image(subject.Context().Digest(sboms[0].Digest.String()), remote.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	layers, err := art.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("SBOM artifact: %d blobs (%v), want 1", len(layers), err)
	}
	rc, err := layers[0].Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var doc struct {
		SPDXVersion string `json:"spdxVersion"`
		Packages    []struct {
			Name        string `json:"name"`
			VersionInfo string `json:"versionInfo"`
			Checksums   []struct {
				Value string `json:"checksumValue"`
			} `json:"checksums"`
		} `json:"packages"`
	}
	if err := json.NewDecoder(rc).Decode(&doc); err != nil {
		t.Fatalf("SBOM: %v", err)
	}
	sum := sha256.Sum256(binary)
	if doc.SPDXVersion != "SPDX-2.3" || len(doc.Packages) < 10 || doc.Packages[0].VersionInfo != releaseVersion ||
		len(doc.Packages[0].Checksums) != 1 || doc.Packages[0].Checksums[0].Value != hex.EncodeToString(sum[:]) {
		t.Errorf("SBOM %s with %d packages, the first %+v: want SPDX-2.3 describing pullthrough %s with its modules and SHA-256 %x",
			doc.SPDXVersion, len(doc.Packages), doc.Packages[0], releaseVersion, sum)
	}
}

// runVersion writes the root filesystem out and runs its binary's version.
func runVersion(t *testing.T, files map[string]file) {
	t.Helper()
	dir := t.TempDir()
	for p, f := range files {
		path := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, f.data, os.FileMode(f.mode)); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.CommandContext(t.Context(), filepath.Join(dir, "pullthrough"), "version").CombinedOutput()
	if err != nil {
		t.Fatalf("/pullthrough version: %v\n%s", err, out)
	}
	if want := "pullthrough " + releaseVersion + " (go"; !strings.HasPrefix(string(out), want) {
		t.Errorf("/pullthrough version = %q, want %q...", out, want)
	}
}
