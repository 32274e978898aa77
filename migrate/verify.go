package migrate

import (
	"context"
	"fmt"
	"strings"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/resolve"
	"github.com/pullthrough/pullthrough/rewrite"
)

// Verifier tells whether the proxy serves an image, with the credentials that
// apply in a namespace (its pull secrets).
type Verifier interface {
	Verify(ctx context.Context, namespace, image string) resolve.Result
}

// Verify is the preflight of --verify: it checks the new image of every rewritten
// row of p's objects and records the answer in the object's Verify. A planned object
// with an image not served becomes StatusNotServed, which Apply skips, unless force
// keeps it planned. Each image is checked once per namespace.
func Verify(ctx context.Context, p *Plan, v Verifier, force bool) {
	defer p.Report.count()
	p.Report.Verified = true
	seen := map[[2]string]resolve.Result{}
	for _, it := range p.items {
		o := &it.row
		var notServed []string
		for i := range o.Rows {
			row := &o.Rows[i]
			if row.Outcome != rewrite.OutcomeRewritten || it.isPrefix(row.Path) {
				continue
			}
			key := [2]string{o.Namespace, row.New}
			res, ok := seen[key]
			if !ok {
				res = v.Verify(ctx, o.Namespace, row.New)
				seen[key] = res
			}
			if o.Verify == nil {
				o.Verify = map[string]resolve.Status{}
			}
			o.Verify[row.Path] = res.Status
			if res.Status != resolve.StatusServed {
				notServed = append(notServed, fmt.Sprintf("%s: %s: %v", row.Field, res.Status, res.Err))
			}
		}
		if len(notServed) > 0 && o.Status == StatusPlanned && !force {
			o.Status, o.Error = StatusNotServed, fmt.Sprintf("not patched, the proxy does not serve its new image (--force patches anyway): %v", notServed)
		}
	}
}

// isPrefix reports whether the value at path is a registry prefix (a field target
// of value registry), which names no image a registry could serve.
func (it *item) isPrefix(path string) bool {
	for _, in := range it.inspectors {
		if f, ok := in.(fieldInspector); ok && f.value == config.FieldRegistry && pointer(strings.Split(f.path, ".")...) == path {
			return true
		}
	}
	return false
}
