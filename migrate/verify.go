package migrate

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/internal/patch"
	"github.com/pullthrough/pullthrough/resolve"
)

// Verify is the preflight of --verify: it checks, with resolve.Preflight, the
// image of every row of p's objects that pulls through the proxy (rewritten,
// or already proxied) and records the answer in the object's Verify. A planned
// object with an image not served becomes StatusNotServed, which Apply skips,
// unless force keeps it planned: its pods would not start.
func Verify(ctx context.Context, p *Plan, v resolve.Verifier, force bool) {
	defer p.Report.count()
	p.Report.Verified = true
	var images []resolve.Image
	for _, it := range p.items {
		for _, row := range it.checked() {
			images = append(images, resolve.Image{Namespace: it.row.Namespace, Reference: row.New})
		}
	}
	results := resolve.Preflight(ctx, v, images)
	if w := warmWarning(results); w != "" {
		p.Report.Warnings = append(p.Report.Warnings, w)
	}
	for _, it := range p.items {
		o := &it.row
		var notServed []string
		for _, row := range it.checked() {
			res := results[resolve.Image{Namespace: o.Namespace, Reference: row.New}]
			if o.Verify == nil {
				o.Verify = map[string]resolve.Status{}
			}
			o.Verify[row.Path] = res.Status
			if res.Status != resolve.StatusServed {
				notServed = append(notServed, fmt.Sprintf("%s: %s: %v", row.Field, res.Status, res.Err))
			}
		}
		if len(notServed) > 0 && o.Status == StatusPlanned && !force {
			o.Status, o.Error = StatusNotServed, fmt.Sprintf("not patched, the proxy does not serve an image it would pull (--force patches anyway): %v", notServed)
		}
	}
}

// WarmHint is what --verify and `pullthrough verify` say when a reference with
// a digest is not found: a proxy may serve a digest only once the tag behind it
// was pulled through it (an Amazon ECR pull-through cache), which `pullthrough
// warm` does.
const WarmHint = "a proxy may serve a digest only after its tag was pulled through it (an ECR pull-through cache): `pullthrough warm` pulls the tags behind digest references"

// warmWarning is the report's warning for the digest references the proxy did
// not find, naming them with WarmHint; "" when there is none.
func warmWarning(results map[resolve.Image]resolve.Result) string {
	var refs []string
	for img, res := range results {
		if res.Status == resolve.StatusNotFound && strings.Contains(img.Reference, "@") {
			refs = append(refs, img.Namespace+"/"+img.Reference)
		}
	}
	if len(refs) == 0 {
		return ""
	}
	slices.Sort(refs)
	return fmt.Sprintf("%d digest references not found by the proxy (%s): %s", len(refs), strings.Join(refs, ", "), WarmHint)
}

// checked returns the rows --verify checks: those pulled through the proxy,
// except registry prefixes, which name no image a registry could serve.
func (it *item) checked() []*Row {
	var rows []*Row
	for i := range it.row.Rows {
		if row := &it.row.Rows[i]; row.Outcome.ThroughProxy() && !it.isPrefix(row.Path) {
			rows = append(rows, row)
		}
	}
	return rows
}

// isPrefix reports whether the value at path is a registry prefix (a field target
// of value registry).
func (it *item) isPrefix(path string) bool {
	for _, in := range it.inspectors {
		if f, ok := in.(fieldInspector); ok && f.value == config.FieldRegistry && patch.Pointer(strings.Split(f.path, ".")...) == path {
			return true
		}
	}
	return false
}
