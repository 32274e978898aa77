package rewrite

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/distribution/reference"
)

// anchoredHost matches a whole registry host with an optional port, in the
// reference library's own grammar so that both sides agree on what a host is.
var anchoredHost = regexp.MustCompile(`^` + reference.DomainRegexp.String() + `$`)

// Why a registry prefix or glob is refused, in each error that refuses one.
// Plain text, not sentinels: no caller branches on which it was.
const (
	// notAHost: the first path segment cannot be a registry host.
	notAHost = "not a registry host (a host needs a '.' or a ':' or must be localhost)"
	// badPath: the part after the host is not a valid repository path.
	badPath = "not a valid repository path (lower-case letters, digits and separators)"
)

// looksLikeHost applies the same test as the reference library's
// splitDockerDomain: without a '.', a ':' or the name localhost, a first
// segment is a Docker Hub namespace, not a host.
func looksLikeHost(s string) bool {
	return strings.ContainsAny(s, ".:") || s == "localhost" || strings.ToLower(s) != s
}

// ParsePrefix validates a registry prefix (a host, or host/path on a
// path-segment boundary, as used for mirror sources, targets and registry
// fields) and returns it in canonical form: the host as CanonicalHost gives
// it, no trailing slash. No "library/" is added: a prefix names a namespace,
// not an image.
func ParsePrefix(s string) (string, error) {
	host, path, hasPath := strings.Cut(s, "/")
	canonical := CanonicalHost(host)
	// Tested lower-cased: "PROXY" is a host to the reference grammar, but
	// "proxy" would read back as a Docker Hub name. Tested before the port is
	// dropped: "proxy:443" is a host, though its identity "proxy" is not.
	if !anchoredHost.MatchString(host) || !looksLikeHost(strings.ToLower(host)) {
		return "", fmt.Errorf("%q: %s", s, notAHost)
	}
	if !hasPath {
		return canonical, nil
	}
	if _, err := reference.WithName(canonical + "/" + path); err != nil {
		return "", fmt.Errorf("%q: %s: %w", s, badPath, err)
	}
	return canonical + "/" + path, nil
}

// globMeta are the characters that make a path.Match pattern more than a literal.
const globMeta = `*?[\`

// canonicalGlob puts the host part of an exclusion glob in canonical form
// (CanonicalHost), because globs match canonical names: Docker.io/library/alpine*
// must exclude alpine, and ghcr.io:443/acme/* must exclude ghcr.io/acme/app. A glob whose
// first segment is itself a pattern is kept as written. A glob that does not
// start with a host (busybox*) could never match and is an error.
func canonicalGlob(g string) (string, error) {
	host, rest, hasRest := strings.Cut(g, "/")
	if !hasRest {
		// '*' never crosses '/', and every normalized name has one.
		return "", fmt.Errorf("%q: %s: globs match normalized references such as docker.io/library/busybox*", g, notAHost)
	}
	if strings.ContainsAny(host, globMeta) {
		return g, nil
	}
	if !looksLikeHost(strings.ToLower(host)) {
		return "", fmt.Errorf("%q: %s: globs match normalized references such as docker.io/library/busybox*", g, notAHost)
	}
	return CanonicalHost(host) + "/" + rest, nil
}

// under reports whether name equals prefix or continues with '/' after it:
// the path-segment boundary that keeps docker.io/bit away from
// docker.io/bitnami and docker.io away from docker.io.evil.com.
func under(name, prefix string) bool {
	return strings.HasPrefix(name, prefix) && (len(name) == len(prefix) || name[len(prefix)] == '/')
}
