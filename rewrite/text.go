package rewrite

import (
	"regexp"
	"strings"
)

// token is a run of characters that may make up an image reference or a
// registry prefix; anything else (quotes, spaces, commas, braces, '=')
// bounds it, so a reference is only ever replaced whole.
var token = regexp.MustCompile(`[A-Za-z0-9._\-/:@\[\]]+`)

// TextChange is one reference replaced inside free text.
type TextChange struct {
	// Offset is the byte offset of Old in the input.
	Offset int
	// Old is the reference as written.
	Old string
	Result
}

// Text rewrites the explicit registry references inside free text, such as
// a ConfigMap value holding Istio's injector values ("hub": "docker.io/istio")
// or a YAML snippet (image: quay.io/calico/node:v3.28). Only a token whose
// first segment is the host of some mirror's source, or a listed public
// registry (reported as unrouted-public, left as written), is considered, so an
// implicit Docker Hub name ("nginx") is never guessed at and a URL
// ("https://docker.io/...") is left alone. A token with a tag or digest is
// an image (Rewrite); one without is a registry prefix (RewritePrefix), so
// docker.io/istio stays a namespace and gains no "library/".
func (r *Rewriter) Text(s string) (string, []TextChange) {
	var b strings.Builder
	var changes []TextChange
	last := 0
	for _, loc := range token.FindAllStringIndex(s, -1) {
		tok := s[loc[0]:loc[1]]
		if !r.namesKnownHost(tok) {
			continue
		}
		var res Result
		if hasTagOrDigest(tok) {
			res = r.Rewrite(tok)
		} else {
			res = r.RewritePrefix(tok)
		}
		changes = append(changes, TextChange{Offset: loc[0], Old: tok, Result: res})
		if res.Outcome != OutcomeRewritten {
			continue
		}
		b.WriteString(s[last:loc[0]])
		b.WriteString(res.Image)
		last = loc[1]
	}
	if last == 0 {
		return s, changes
	}
	b.WriteString(s[last:])
	return b.String(), changes
}

// namesKnownHost reports whether tok starts with a registry host that is
// the host of some mirror's source or a listed public registry.
func (r *Rewriter) namesKnownHost(tok string) bool {
	host, _, _ := strings.Cut(tok, "/")
	if !looksLikeHost(host) {
		return false
	}
	host = CanonicalHost(host)
	if r.public.entry(host) != "" {
		return true
	}
	for _, rl := range r.rules {
		if h, _ := SplitPrefix(rl.source); h == host {
			return true
		}
	}
	return false
}

// hasTagOrDigest reports whether the last path segment of tok carries a tag
// or a digest, which makes tok an image rather than a prefix. A token with
// no path is a host, whose ':' is a port (registry.local:5000).
func hasTagOrDigest(tok string) bool {
	i := strings.LastIndex(tok, "/")
	return i >= 0 && strings.ContainsAny(tok[i+1:], ":@")
}
