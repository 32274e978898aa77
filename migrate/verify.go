package migrate

import (
	"context"
	"fmt"
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
