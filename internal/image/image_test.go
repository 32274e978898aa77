package image

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

var meta = Meta{Version: "0.1.0", Revision: strings.Repeat("ab", 20), Source: "https://github.com/pullthrough/pullthrough", Created: created}

func TestMetaValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*Meta)
		err    string
	}{
		{"complete", func(*Meta) {}, ""},
		{"no version", func(m *Meta) { m.Version = "" }, "version: empty"},
		{"no revision", func(m *Meta) { m.Revision = "" }, "revision: empty"},
		{"no time", func(m *Meta) { m.Created = time.Time{} }, "created: empty"},
		// The source label is a link users follow: a typo must not ship.
		{"source not a URL", func(m *Meta) { m.Source = "github.com/pullthrough" }, `source "github.com/pullthrough"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := meta
			tt.change(&m)
			err := m.Validate()
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("Validate() = %v, want %q", err, tt.err)
			}
		})
	}
}

func TestCABundle(t *testing.T) {
	t.Parallel()
	data, err := CABundle()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			t.Fatalf("certificate %d: %v", n, err)
		}
		n++
	}
	// Mozilla's store holds well over 100 roots; a handful means the bundle broke.
	if n < 100 {
		t.Errorf("%d certificates, want the Mozilla roots (>100)", n)
	}
}

// TestImage checks the config and the layers a platform image gets.
func TestImage(t *testing.T) {
	t.Parallel()
	common, err := Common(map[string][]byte{"/usr/share/doc/pullthrough/LICENSE": []byte("Apache")}, meta)
	if err != nil {
		t.Fatal(err)
	}
	amd, err := Image(common, Binary{Platform: v1.Platform{OS: "linux", Architecture: "amd64"}, Data: []byte("amd")}, meta)
	if err != nil {
		t.Fatal(err)
	}
	arm, err := Image(common, Binary{Platform: v1.Platform{OS: "linux", Architecture: "arm64"}, Data: []byte("arm")}, meta)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := amd.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Config.User != "65532:65532" || !slices.Equal(cfg.Config.Entrypoint, []string{"/pullthrough"}) {
		t.Errorf("user %q entrypoint %q, want 65532:65532 and [/pullthrough]", cfg.Config.User, cfg.Config.Entrypoint)
	}
	if cfg.OS != "linux" || cfg.Architecture != "amd64" || !cfg.Created.Equal(created) {
		t.Errorf("platform %s/%s created %v", cfg.OS, cfg.Architecture, cfg.Created)
	}
	for k, want := range map[string]string{
		"org.opencontainers.image.version": "0.1.0", "org.opencontainers.image.licenses": "Apache-2.0",
		"org.opencontainers.image.revision": meta.Revision, "org.opencontainers.image.source": meta.Source,
	} {
		if got := cfg.Config.Labels[k]; got != want {
			t.Errorf("label %s = %q, want %q", k, got, want)
		}
	}
	mt, err := amd.MediaType()
	if err != nil || mt != types.OCIManifestSchema1 {
		t.Errorf("media type %s (%v), want OCI", mt, err)
	}
	la, _ := amd.Layers()
	lb, _ := arm.Layers()
	if len(la) != 2 || len(lb) != 2 {
		t.Fatalf("layers: %d and %d, want 2 each", len(la), len(lb))
	}
	da, _ := la[0].Digest()
	db, _ := lb[0].Digest()
	if da != db {
		t.Errorf("the common layer differs between platforms: %s != %s", da, db)
	}
	idx, err := Index([]v1.Image{amd, arm}, meta)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var platforms []string
	for _, d := range im.Manifests {
		platforms = append(platforms, d.Platform.String())
	}
	if !slices.Equal(platforms, []string{"linux/amd64", "linux/arm64"}) || im.MediaType != types.OCIImageIndex {
		t.Errorf("index %s of %v, want an OCI index of linux/amd64 and linux/arm64", im.MediaType, platforms)
	}
	if im.Annotations["org.opencontainers.image.version"] != "0.1.0" {
		t.Errorf("index annotations %v, want the OCI labels", im.Annotations)
	}
}

func TestSBOMAttachment(t *testing.T) {
	t.Parallel()
	bi := &debug.BuildInfo{GoVersion: "go1.26.11", Main: debug.Module{Path: "github.com/pullthrough/pullthrough"},
		Deps: []*debug.Module{
			{Path: "k8s.io/api", Version: "v0.37.0"},
			// A replaced module is recorded at its replacement.
			{Path: "example.com/old", Version: "v1.0.0", Replace: &debug.Module{Path: "example.com/new", Version: "v1.1.0"}},
		}}
	doc, err := SBOM(bi, strings.Repeat("0", 64), "pullthrough-0.1.0-linux-amd64.spdx.json", meta)
	if err != nil {
		t.Fatal(err)
	}
	var got spdxDocument
	if err := json.Unmarshal(doc, &got); err != nil {
		t.Fatal(err)
	}
	var purls []string
	for _, p := range got.Packages {
		purls = append(purls, p.ExternalRefs[0].Locator)
	}
	want := []string{"pkg:golang/github.com/pullthrough/pullthrough@v0.1.0", "pkg:golang/stdlib@1.26.11",
		"pkg:golang/k8s.io/api@v0.37.0", "pkg:golang/example.com/new@v1.1.0"}
	if !slices.Equal(purls, want) {
		t.Errorf("purls %v, want %v", purls, want)
	}
	if got.SPDXVersion != "SPDX-2.3" || got.CreationInfo.Created != "2026-12-01T10:00:00Z" || len(got.Relationships) != 4 {
		t.Errorf("version %s created %s relationships %d", got.SPDXVersion, got.CreationInfo.Created, len(got.Relationships))
	}
	if _, err := SBOM(&debug.BuildInfo{}, "", "x", meta); err == nil {
		t.Error("SBOM of a binary without build information: no error")
	}

	subject := v1.Descriptor{MediaType: types.OCIManifestSchema1, Digest: v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("1", 64)}, Size: 10}
	att, err := Attachment(subject, SBOMMediaType, "sbom.spdx.json", doc, created)
	if err != nil {
		t.Fatal(err)
	}
	m, err := att.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.ArtifactType != SBOMMediaType || m.Subject == nil || m.Subject.Digest != subject.Digest ||
		m.Config.MediaType != types.OCIEmptyJSON || len(m.Layers) != 1 || m.Layers[0].MediaType != SBOMMediaType {
		t.Errorf("manifest %+v: want an %s artifact with subject %s", m, SBOMMediaType, subject.Digest)
	}
	layers, err := att.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers %v, %v", layers, err)
	}
	if _, err := partial.Descriptor(att); err != nil {
		t.Error(err)
	}
}
