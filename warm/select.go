package warm

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/distribution/reference"

	"github.com/pullthrough/pullthrough/migrate"
	"github.com/pullthrough/pullthrough/podspec/manifest"
	"github.com/pullthrough/pullthrough/rewrite"
)

// Found is one image reference that pulls through the proxy, and where it
// was found.
type Found struct {
	// Namespace is whose pull secrets pull it; "" for manifests read from a file.
	Namespace string
	// Where names the place for a person: "deploy.yaml:12 Deployment/web app".
	Where string
	// Reference is the reference as it pulls through the proxy.
	Reference string
}

// Target is one distinct digest reference to warm.
type Target struct {
	Namespace string `json:"namespace,omitempty"`
	// Reference is the reference as the pods name it: repo:tag@sha256:….
	Reference string `json:"reference"`
	// Tag is repo:tag, what warming pulls; "" for a reference without a tag.
	Tag string `json:"tag,omitempty"`
	// Digest is repo@sha256:…, what a runtime asks the proxy for.
	Digest string `json:"digest"`
	// Where lists every place that names it, in the order they were found.
	Where []string `json:"where"`
}

// throughProxy reports whether an image with outcome o pulls through the
// proxy now, or will once enforce applies the rewrite audit withholds.
func throughProxy(o rewrite.Outcome) bool {
	return o.ThroughProxy() || o == rewrite.OutcomeAudit
}

// Select returns the digest references of found, each once per namespace,
// sorted by namespace and reference, and how many references without a
// digest it left out. found holds only references that pull through the
// proxy, so each parses; one that does not is left out with them.
func Select(found []Found) (targets []Target, withoutDigest int) {
	type key struct{ namespace, reference string }
	index := map[key]int{}
	for _, f := range found {
		k := key{f.Namespace, f.Reference}
		if i, ok := index[k]; ok {
			targets[i].Where = append(targets[i].Where, f.Where)
			continue
		}
		t, ok := target(f)
		if !ok {
			withoutDigest++
			continue
		}
		index[k] = len(targets)
		targets = append(targets, t)
	}
	slices.SortStableFunc(targets, func(a, b Target) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Reference, b.Reference))
	})
	return targets, withoutDigest
}

// target splits a digest reference into the tag and the digest behind it;
// false when it names no digest.
func target(f Found) (Target, bool) {
	named, err := reference.ParseNormalizedNamed(f.Reference)
	if err != nil {
		return Target{}, false
	}
	digested, ok := named.(reference.Digested)
	if !ok {
		return Target{}, false
	}
	t := Target{Namespace: f.Namespace, Reference: f.Reference, Digest: named.Name() + "@" + digested.Digest().String(), Where: []string{f.Where}}
	if tagged, ok := named.(reference.Tagged); ok {
		t.Tag = named.Name() + ":" + tagged.Tag()
	}
	return t, true
}

// FromManifests finds the references of the manifests in (a YAML or JSON
// stream; path names it) that pull through the proxy with rw's routing.
func FromManifests(in []byte, path string, rw *rewrite.Rewriter) ([]Found, error) {
	_, images, err := manifest.Rewrite(in, rw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var found []Found
	for _, img := range images {
		if throughProxy(img.Outcome) {
			found = append(found, Found{Where: fmt.Sprintf("%s:%d %s %s", path, img.Line, img.Object, img.Label()), Reference: proxied(img.Result)})
		}
	}
	return found, nil
}

// proxied is the reference a result pulls through the proxy: the rewrite, or
// the one audit withholds.
func proxied(r rewrite.Result) string {
	if r.Outcome == rewrite.OutcomeAudit {
		return r.Proposed
	}
	return r.Image
}

// Collector is a migrate.ReportWriter that keeps, of a migration plan
// (migrate.Migrator.PlanEach), the references that pull through the proxy:
// the workloads and bare pods the migrator lists, where `pullthrough
// migrate` finds them.
type Collector struct {
	// Found are the references collected so far.
	Found []Found
}

var _ migrate.ReportWriter = (*Collector)(nil)

// Begin implements migrate.ReportWriter.
func (*Collector) Begin(*migrate.Report) error { return nil }

// Object implements migrate.ReportWriter: a row's New is the reference the
// object pulls through the proxy (for outcome audit, the rewrite withheld).
func (c *Collector) Object(o *migrate.Object) error {
	for _, row := range o.Rows {
		if throughProxy(row.Outcome) {
			c.Found = append(c.Found, Found{Namespace: o.Namespace, Where: o.Kind + "/" + o.Name + " " + row.Field, Reference: row.New})
		}
	}
	return nil
}

// End implements migrate.ReportWriter.
func (*Collector) End(*migrate.Report) error { return nil }
