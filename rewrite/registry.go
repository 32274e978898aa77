package rewrite

import (
	"slices"
	"strings"
)

// DockerHub is Docker Hub's identity, the host the reference library gives
// familiar names such as "nginx" and that CanonicalHost folds its aliases
// into: what treats Docker Hub specially (nodeconfig's upstream server)
// compares with this, never with a spelling of its own.
const DockerHub = "docker.io"

// dockerHubAliases are hosts that serve Docker Hub under another name; an
// image written with any of them must be routed like docker.io, or it would
// slip past the docker.io mirror.
var dockerHubAliases = map[string]bool{
	DockerHub:                 true,
	"index.docker.io":         true,
	"registry-1.docker.io":    true,
	"registry.hub.docker.com": true,
}

// DockerHubAliases are the names other than DockerHub that CanonicalHost
// folds into it, sorted: whatever else must cover every name of Docker Hub
// (nodeconfig's host directories) takes them from here.
func DockerHubAliases() []string {
	var aliases []string
	for host := range dockerHubAliases {
		if host != DockerHub {
			aliases = append(aliases, host)
		}
	}
	slices.Sort(aliases)
	return aliases
}

// defaultHTTPSPort is the port a container runtime dials when a registry host
// names none, so "ghcr.io:443" is ghcr.io itself.
const defaultHTTPSPort = "443"

// CanonicalHost is a registry's identity, the one form in which registries
// are compared everywhere (mirror sources and targets, exclusions,
// already-proxied detection, free text, prefixes, and outside this package
// the node's host directories, the HTTPS hosts and logins of package
// resolve): the host lower-cased, its
// port written without leading zeros and dropped when it is the default HTTPS
// port, and Docker Hub's aliases folded into docker.io. Every spelling the
// container runtime would pull from the same place gets the same identity, so
// none escapes a rule; another port is another registry. It is a key for
// comparison only: nothing is ever written in this form.
func CanonicalHost(host string) string {
	host = strings.ToLower(host)
	// A port follows the last ':' outside an IPv6 literal's brackets.
	if i := strings.LastIndexByte(host, ':'); i > strings.LastIndexByte(host, ']') {
		switch port := strings.TrimLeft(host[i+1:], "0"); {
		case port == defaultHTTPSPort:
			host = host[:i]
		case port == "" && i+1 < len(host):
			host = host[:i+1] + "0"
		default:
			host = host[:i+1] + port
		}
	}
	if dockerHubAliases[host] {
		return DockerHub
	}
	return host
}

// SplitPrefix splits a registry prefix (a host, or host/path, as ParsePrefix
// accepts it: mirror sources and targets; also a docker config key without
// its scheme) into its registry's identity (CanonicalHost) and the path
// after the host, "" for a bare host. It validates nothing: callers hold
// prefixes that were validated where they came in.
func SplitPrefix(prefix string) (registry, path string) {
	host, path, _ := strings.Cut(prefix, "/")
	return CanonicalHost(host), path
}

// RegistryOf is the identity (CanonicalHost) of the registry image is pulled
// from, docker.io for a familiar name such as "nginx", or "" when image is
// not a valid reference. It names the mirror source an image is missing.
func RegistryOf(image string) string {
	p := parseImage(image)
	if !p.ok {
		return ""
	}
	host, _, _ := strings.Cut(p.name, "/") // the name starts with CanonicalHost
	return host
}
