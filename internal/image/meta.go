package image

import (
	"fmt"
	"net/url"
	"time"
)

// Meta is what the image says about itself, in its labels, its annotations
// and its SBOM. All of it comes from the commit being built, nothing from
// the build machine, so two builds of one commit agree.
type Meta struct {
	// Version is the release version, e.g. 0.1.0 (the git tag without its v).
	Version string
	// Revision is the full commit hash.
	Revision string
	// Source is the repository's URL.
	Source string
	// Created is every timestamp of the build: the layers' file times, the
	// config's created field, the SBOM's creation time (SOURCE_DATE_EPOCH).
	Created time.Time
}

// License is the SPDX expression of pullthrough's license.
const License = "Apache-2.0"

// Validate reports the first field that is missing or malformed, by name.
func (m Meta) Validate() error {
	switch {
	case m.Version == "":
		return fmt.Errorf("version: empty")
	case m.Revision == "":
		return fmt.Errorf("revision: empty")
	case m.Created.IsZero():
		return fmt.Errorf("created: empty")
	}
	if u, err := url.Parse(m.Source); err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("source %q: want an https URL", m.Source)
	}
	return nil
}

// Labels returns the OCI labels of the image config, also used as the
// manifests' and the index's annotations: registries and scanners read one
// or the other.
func (m Meta) Labels() map[string]string {
	return map[string]string{
		"org.opencontainers.image.title":    "pullthrough",
		"org.opencontainers.image.source":   m.Source,
		"org.opencontainers.image.revision": m.Revision,
		"org.opencontainers.image.version":  m.Version,
		"org.opencontainers.image.licenses": License,
		"org.opencontainers.image.created":  m.Created.UTC().Format(time.RFC3339),
	}
}
