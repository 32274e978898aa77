package rewrite

import (
	"fmt"
	"path"
)

// Rules are what a Rewriter routes by: the mirrors, and the images never
// rewritten. Loading, defaulting and reporting them with field paths is the
// job of package config; Rules are the part every decision needs.
type Rules struct {
	// Mirrors route sources to targets; the longest matching source wins.
	Mirrors []Mirror
	// ExcludeImages are globs (path.Match syntax) on the normalized
	// reference; a glob that matches the name alone excludes every tag and
	// digest of it.
	ExcludeImages []string
	// PublicRegistries are the registries (ParsePublicRegistry entries) whose
	// images no mirror covers are OutcomeUnroutedPublic rather than
	// OutcomeNoRule; package config fills them from DefaultPublicRegistries
	// and the config file. None leaves every such image no-rule.
	PublicRegistries []string
}

// Mirror routes every image under Source to the same path under Target.
type Mirror struct {
	// Source is a registry host, or host/path prefix, e.g. docker.io or
	// docker.io/bitnami, on a path-segment boundary (validated by ParsePrefix).
	Source string `json:"source"`
	// Target is where the proxy serves Source, e.g.
	// proxy.example.internal/dockerhub: a prefix of the same form as Source.
	Target string `json:"target"`
	// Namespaces, when set, scope the mirror to the namespaces whose name
	// one of these path.Match globs matches (an exact name is a glob too).
	// With NamespaceSelector as well, a namespace must satisfy both.
	Namespaces []string `json:"namespaces,omitempty"`
	// NamespaceSelector, when set, scopes the mirror to the namespaces whose
	// labels it matches (metav1.LabelSelector's shape and meaning).
	NamespaceSelector *Selector `json:"namespaceSelector,omitempty"`
}

// Conflict is one way a set of mirrors contradicts itself: a target that a
// source matches (rewriting would loop), a source under a target (it could
// never match, because already-proxied images are left alone first), or two
// scoped mirrors for one source whose namespaces globs can both match one
// namespace (which target applies there would be arbitrary).
type Conflict struct {
	// Index is the mirror at fault.
	Index int
	// Field is "source", "target" or "namespaces"; Value the field (for
	// namespaces, the one glob) as written.
	Field, Value string
	// Detail says which other mirror it conflicts with and why.
	Detail string
}

// Conflicts lists every Conflict among mirrors. Mirrors whose source or
// target is not a valid prefix (ParsePrefix) are skipped: they are reported
// on their own.
func Conflicts(mirrors []Mirror) []Conflict {
	sources := make([]string, len(mirrors))
	targets := make([]string, len(mirrors))
	for i, m := range mirrors {
		sources[i], _ = ParsePrefix(m.Source) // "" when invalid, skipped below
		targets[i], _ = ParsePrefix(m.Target)
	}
	var out []Conflict
	for i, t := range targets {
		for j, s := range sources {
			if t == "" || s == "" {
				continue
			}
			if under(t, s) {
				out = append(out, Conflict{Index: i, Field: "target", Value: mirrors[i].Target,
					Detail: fmt.Sprintf("is matched by mirrors[%d].source %s, so rewriting would loop", j, mirrors[j].Source)})
			} else if under(s, t) {
				out = append(out, Conflict{Index: j, Field: "source", Value: mirrors[j].Source,
					Detail: fmt.Sprintf("is under mirrors[%d].target %s, so it could never match", i, mirrors[i].Target)})
			}
		}
	}
	return append(out, scopeConflicts(mirrors, sources)...)
}

// ParseImageGlob validates an exclusion glob and returns it in canonical
// form (see canonicalGlob): the host part lower-cased and Docker Hub's
// aliases folded, because globs match normalized references.
func ParseImageGlob(g string) (string, error) {
	canonical, err := canonicalGlob(g)
	if err != nil {
		return "", err
	}
	if _, err := path.Match(canonical, ""); err != nil {
		return "", fmt.Errorf("%q: not a valid glob (path.Match syntax): %w", g, err)
	}
	return canonical, nil
}
