package rewrite

import (
	"fmt"
	"slices"
	"strings"
)

// DefaultPublicRegistries are the well-known public registries an image may
// be pulled from over the internet. An image on one of them that no mirror
// covers is OutcomeUnroutedPublic, not OutcomeNoRule, so that a cluster's
// remaining dependence on a public registry is counted, warned about and
// planned for instead of looking like an internal image. An entry is a host
// (with a port only if it is not 443) or "*." and a domain, which covers
// every host under that domain (the regional hosts of gcr.io, Artifact
// Registry's per-region hosts). The config extends or replaces the list.
var DefaultPublicRegistries = []string{
	"docker.io",                     // Docker Hub, under all its aliases
	"ghcr.io",                       // GitHub
	"quay.io",                       // Red Hat Quay
	"registry.k8s.io",               // Kubernetes
	"gcr.io",                        // Google Container Registry
	"*.gcr.io",                      // its regional hosts, mirror.gcr.io, k8s.gcr.io
	"*.pkg.dev",                     // Google Artifact Registry (REGION-docker.pkg.dev)
	"public.ecr.aws",                // Amazon ECR Public
	"mcr.microsoft.com",             // Microsoft
	"nvcr.io",                       // NVIDIA NGC
	"registry.gitlab.com",           // GitLab
	"docker.elastic.co",             // Elastic
	"cgr.dev",                       // Chainguard
	"registry.redhat.io",            // Red Hat (authenticated)
	"registry.access.redhat.com",    // Red Hat (public)
	"registry.suse.com",             // SUSE
	"container-registry.oracle.com", // Oracle
	"icr.io",                        // IBM Cloud
	"lscr.io",                       // LinuxServer.io
}

// wildcardPrefix starts an entry that covers every host under a domain.
const wildcardPrefix = "*."

// notARegistry says why a public-registry entry is refused: it is neither a
// host nor "*." and a domain.
const notARegistry = `not a registry host or a "*.domain" wildcard`

// ParsePublicRegistry validates one public-registry entry and returns it in
// canonical form (CanonicalHost; a wildcard's domain lower-cased), which is
// also the "registry" label its images are counted under.
func ParsePublicRegistry(entry string) (string, error) {
	host, wildcard := strings.CutPrefix(entry, wildcardPrefix)
	// A wildcard names a domain, and the hosts under it serve HTTPS on the
	// default port: "*.gcr.io:5000" would cover nothing.
	if !anchoredHost.MatchString(host) || !looksLikeHost(strings.ToLower(host)) ||
		(wildcard && (!strings.Contains(host, ".") || strings.ContainsAny(host, ":[]"))) {
		return "", fmt.Errorf("%q: %s", entry, notARegistry)
	}
	if wildcard {
		return wildcardPrefix + strings.ToLower(host), nil
	}
	return CanonicalHost(host), nil
}

// publicRegistries is a validated list: canonical hosts, and the canonical
// wildcard entries, kept whole so that a match returns one without building it.
type publicRegistries struct {
	hosts     map[string]bool
	wildcards []string // "*.gcr.io"
}

// newPublicRegistries parses entries; duplicates are harmless and kept once.
func newPublicRegistries(entries []string) (publicRegistries, error) {
	p := publicRegistries{hosts: map[string]bool{}}
	for i, e := range entries {
		canonical, err := ParsePublicRegistry(e)
		if err != nil {
			return publicRegistries{}, fmt.Errorf("publicRegistries[%d]: %w", i, err)
		}
		if strings.HasPrefix(canonical, "*") {
			if !slices.Contains(p.wildcards, canonical) {
				p.wildcards = append(p.wildcards, canonical)
			}
		} else {
			p.hosts[canonical] = true
		}
	}
	return p, nil
}

// entry returns the list entry that covers a canonical host ("" when none):
// the host itself, or the wildcard whose domain it is under. A host with a
// port other than 443 is never under a wildcard, as its identity ends in the port.
func (p publicRegistries) entry(host string) string {
	if p.hosts[host] {
		return host
	}
	for _, w := range p.wildcards {
		if strings.HasSuffix(host, w[1:]) { // the domain, ".gcr.io"
			return w
		}
	}
	return ""
}
