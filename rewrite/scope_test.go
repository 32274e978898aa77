package rewrite

import (
	"fmt"
	"strings"
	"testing"
)

// scopedConfig is the example plus a longer unscoped source and
// two scoped mirrors for one source that only a selector keeps apart.
const scopedConfig = `
mirrors:
  - {source: docker.io, target: proxy.example.internal/dockerhub}
  - {source: docker.io/bitnami, target: proxy.example.internal/bitnami}
  - source: docker.io
    target: proxy.example.internal/team-a
    namespaces: [team-a, team-a-*]
  - source: docker.io
    target: proxy.example.internal/tenant-b
    namespaceSelector: {matchLabels: {tenant: b}}
  - source: docker.io
    target: proxy.example.internal/regulated
    namespaceSelector: {matchExpressions: [{key: regulated, operator: Exists}]}
  - source: ghcr.io
    target: proxy.example.internal/ghcr-a
    namespaces: [team-a]
    namespaceSelector: {matchLabels: {tenant: a}}
`

// TestIn holds the precedence of the issue: a scoped mirror applies only
// where it selects; the longest source wins; at equal length scoped beats
// unscoped; two scoped mirrors only a selector keeps apart: the earlier
// wins.
func TestIn(t *testing.T) {
	t.Parallel()
	r := newTestRewriter(t, scopedConfig)
	tests := []struct {
		name   string
		ns     string
		labels map[string]string
		image  string
		want   string
	}{
		{"unscoped elsewhere", "default", nil, "nginx", "proxy.example.internal/dockerhub/library/nginx"},
		{"exact name", "team-a", nil, "nginx", "proxy.example.internal/team-a/library/nginx"},
		{"glob name", "team-a-dev", nil, "nginx", "proxy.example.internal/team-a/library/nginx"},
		{"glob boundary", "team-ab", nil, "nginx", "proxy.example.internal/dockerhub/library/nginx"},
		{"longer unscoped source beats scoped", "team-a", nil, "bitnami/redis", "proxy.example.internal/bitnami/redis"},
		{"selector", "b1", map[string]string{"tenant": "b"}, "nginx", "proxy.example.internal/tenant-b/library/nginx"},
		{"selector other value", "b1", map[string]string{"tenant": "c"}, "nginx", "proxy.example.internal/dockerhub/library/nginx"},
		// team-a's names and tenant=b's selector both select: file order.
		{"names before selector in file order", "team-a", map[string]string{"tenant": "b"}, "nginx", "proxy.example.internal/team-a/library/nginx"},
		{"selector before later selector", "x", map[string]string{"tenant": "b", "regulated": ""}, "nginx", "proxy.example.internal/tenant-b/library/nginx"},
		{"exists", "x", map[string]string{"regulated": "yes"}, "nginx", "proxy.example.internal/regulated/library/nginx"},
		{"names and selector both needed", "team-a", nil, "ghcr.io/x/y", "ghcr.io/x/y"},
		{"names and selector both hold", "team-a", map[string]string{"tenant": "a"}, "ghcr.io/x/y", "proxy.example.internal/ghcr-a/x/y"},
		{"selector alone is not enough", "team-b", map[string]string{"tenant": "a"}, "ghcr.io/x/y", "ghcr.io/x/y"},
		// Another tenant's target is still a proxy: fixed point everywhere.
		{"other tenant's target already proxied", "default", nil, "proxy.example.internal/team-a/library/nginx", "proxy.example.internal/team-a/library/nginx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rw := r.In(tt.ns, tt.labels)
			got := rw.Rewrite(tt.image)
			if got.Image != tt.want {
				t.Errorf("In(%q, %v).Rewrite(%q) = %q (%s), want %q", tt.ns, tt.labels, tt.image, got.Image, got.Outcome, tt.want)
			}
			if again := rw.Rewrite(got.Image); again.Image != got.Image {
				t.Errorf("not a fixed point: %q -> %q", got.Image, again.Image)
			}
		})
	}
}

// TestInWithout: a Rewriter without scoped mirrors is its own routing in
// every namespace, and New's Rewriter routes as a namespace nothing selects.
func TestInWithout(t *testing.T) {
	t.Parallel()
	plain := newTestRewriter(t, testConfig)
	if plain.In("team-a", map[string]string{"tenant": "a"}) != plain {
		t.Error("In on a config without scoped mirrors built a new Rewriter")
	}
	scoped := newTestRewriter(t, scopedConfig)
	if got := scoped.Rewrite("nginx").Image; got != "proxy.example.internal/dockerhub/library/nginx" {
		t.Errorf("New's Rewriter = %q, want the unscoped mirror", got)
	}
	audit := scoped.Withholding(OutcomeAudit).In("team-a", nil)
	if got := audit.Rewrite("nginx"); got.Outcome != OutcomeAudit || got.Proposed != "proxy.example.internal/team-a/library/nginx" {
		t.Errorf("withholding In = %+v, want audit of the team-a rewrite", got)
	}
}

// TestInCacheBounded: past maxScopeSets distinct scope sets, In still
// decides right without storing more.
func TestInCacheBounded(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("mirrors:\n  - {source: docker.io, target: p.example/hub}\n")
	for i := range 14 { // 2^14 > maxScopeSets
		fmt.Fprintf(&b, "  - {source: docker.io/t%d, target: p.example/t%d, namespaceSelector: {matchLabels: {t%d: x}}}\n", i, i, i)
	}
	r := newTestRewriter(t, b.String())
	for n := range 1 << 13 {
		labels := map[string]string{}
		for i := range 14 {
			if n&(1<<i) != 0 {
				labels[fmt.Sprintf("t%d", i)] = "x"
			}
		}
		want := "p.example/hub/t0/app"
		if n&1 != 0 {
			want = "p.example/t0/app"
		}
		if got := r.In("ns", labels).Rewrite("docker.io/t0/app").Image; got != want {
			t.Fatalf("labels %v: %q, want %q", labels, got, want)
		}
	}
	if n := len(r.scopes.cache); n > maxScopeSets {
		t.Errorf("cache holds %d scope sets, bound is %d", n, maxScopeSets)
	}
}

func TestSelectorMatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		sel    Selector
		labels map[string]string
		want   bool
	}{
		{"empty selects all", Selector{}, nil, true},
		{"matchLabels", Selector{MatchLabels: map[string]string{"a": "1"}}, map[string]string{"a": "1", "b": "2"}, true},
		{"matchLabels wrong value", Selector{MatchLabels: map[string]string{"a": "1"}}, map[string]string{"a": "2"}, false},
		{"matchLabels empty value needs the key", Selector{MatchLabels: map[string]string{"a": ""}}, nil, false},
		{"In", Selector{MatchExpressions: []Requirement{{Key: "a", Operator: OpIn, Values: []string{"1", "2"}}}}, map[string]string{"a": "2"}, true},
		{"In absent", Selector{MatchExpressions: []Requirement{{Key: "a", Operator: OpIn, Values: []string{"1"}}}}, nil, false},
		{"NotIn absent holds", Selector{MatchExpressions: []Requirement{{Key: "a", Operator: OpNotIn, Values: []string{"1"}}}}, nil, true},
		{"NotIn listed", Selector{MatchExpressions: []Requirement{{Key: "a", Operator: OpNotIn, Values: []string{"1"}}}}, map[string]string{"a": "1"}, false},
		{"DoesNotExist", Selector{MatchExpressions: []Requirement{{Key: "a", Operator: OpDoesNotExist}}}, map[string]string{"b": "1"}, true},
		{"all ANDed", Selector{MatchLabels: map[string]string{"a": "1"}, MatchExpressions: []Requirement{{Key: "b", Operator: OpExists}}}, map[string]string{"a": "1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.sel.Matches(tt.labels); got != tt.want {
				t.Errorf("Matches(%v) = %v, want %v", tt.labels, got, tt.want)
			}
		})
	}
}

func TestGlobsOverlap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want bool
	}{
		{"team-a", "team-a", true},
		{"team-a", "team-b", false},
		{"team-a-*", "team-a", false}, // the glob needs "team-a-" and more
		{"team-a*", "team-a", true},
		{"team-*", "*-dev", true},
		{"team-*", "prod-*", false},
		{"*a", "*b", false},
		{"a*", "*b", true},
		{"[a-c]x", "[^a]x", true},
		{"[a]x", "[^a]x", false},
		{"?", "ab", false},
		{"??", "a*", true},
		{"TEAM", "*", false}, // no namespace name holds an upper-case letter
		{"a\\-b", "a-b", true},
		{"[", "*", false}, // invalid: overlaps nothing
		{"*x*y*", "*y*x*", true},
	}
	for _, tt := range tests {
		t.Run(tt.a+" "+tt.b, func(t *testing.T) {
			t.Parallel()
			if got := GlobsOverlap(tt.a, tt.b); got != tt.want {
				t.Errorf("GlobsOverlap(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
			if got := GlobsOverlap(tt.b, tt.a); got != tt.want {
				t.Errorf("GlobsOverlap(%q, %q) = %v, want %v (not symmetric)", tt.b, tt.a, got, tt.want)
			}
		})
	}
}

// FuzzGlobsOverlap holds GlobsOverlap to path.Match: whenever a name
// matches both globs, they overlap.
func FuzzGlobsOverlap(f *testing.F) {
	f.Add("team-*", "*-dev", "team-dev")
	f.Add("[a-c]x", "[^a]x", "bx")
	f.Fuzz(func(t *testing.T, a, b, name string) {
		if matchAny([]string{a}, name) && matchAny([]string{b}, name) && validName(name) && !GlobsOverlap(a, b) {
			t.Fatalf("%q matches %q and %q, which GlobsOverlap calls disjoint", name, a, b)
		}
	})
}

// validName reports whether s holds only characters of nameAlphabet.
func validName(s string) bool {
	for i := range len(s) {
		if charBit(s[i]) == 0 {
			return false
		}
	}
	return true
}

func TestScopeConflicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		mirrors []Mirror
		want    string // the detail's start, "" for none
	}{
		{"overlapping names", []Mirror{
			{Source: "docker.io", Target: "p.example/a", Namespaces: []string{"team-*"}},
			{Source: "docker.io", Target: "p.example/b", Namespaces: []string{"x", "team-b"}},
		}, "mirrors[1].namespaces team-b: selects a namespace that mirrors[0].namespaces team-*"},
		{"disjoint names", []Mirror{
			{Source: "docker.io", Target: "p.example/a", Namespaces: []string{"team-a-*"}},
			{Source: "docker.io", Target: "p.example/b", Namespaces: []string{"team-b-*"}},
		}, ""},
		{"other source", []Mirror{
			{Source: "docker.io", Target: "p.example/a", Namespaces: []string{"x"}},
			{Source: "ghcr.io", Target: "p.example/b", Namespaces: []string{"x"}},
		}, ""},
		{"selector: file order decides", []Mirror{
			{Source: "docker.io", Target: "p.example/a", Namespaces: []string{"x"}},
			{Source: "docker.io", Target: "p.example/b", Namespaces: []string{"x"}, NamespaceSelector: &Selector{}},
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got string
			if c := Conflicts(tt.mirrors); len(c) > 0 {
				got = fmt.Sprintf("mirrors[%d].%s %s: %s", c[0].Index, c[0].Field, c[0].Value, c[0].Detail)
			}
			if !strings.HasPrefix(got, tt.want) || (tt.want == "") != (got == "") {
				t.Errorf("Conflicts = %q, want %q", got, tt.want)
			}
			if _, err := New(Rules{Mirrors: tt.mirrors}); (err != nil) != (tt.want != "") {
				t.Errorf("New error = %v, want one: %v", err, tt.want != "")
			}
		})
	}
}
