package migrate

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/internal/patch"
	"github.com/pullthrough/pullthrough/podspec"
	"github.com/pullthrough/pullthrough/rewrite"
)

// An inspector reads the values one kind of object holds (container images,
// ConfigMap text, one custom-resource field) and decides each with package
// rewrite, so the migrator gives the webhook's answer for every image.
// Inspectors are comparable values: an object selected twice by the same
// kind of target is inspected once.
type inspector interface {
	// inspect returns a row for every value found and an edit for every value
	// that changes. With skip set (excluded-namespace, opted-out) every row
	// has that outcome and nothing changes.
	inspect(rw *rewrite.Rewriter, obj map[string]any, skip rewrite.Outcome) ([]Row, []edit, error)
}

// edit replaces one string value, found at a JSON pointer, as a whole.
type edit struct {
	path, old, new string
}

var (
	_ inspector = podSpecInspector{}
	_ inspector = configMapInspector{}
	_ inspector = fieldInspector{}
)

// podSpecInspector reads every image of the pod spec (or template) at a
// dotted path: containers of every list and image volumes, as podspec.Kinds gives it for a kind.
type podSpecInspector struct {
	path string
}

func (p podSpecInspector) inspect(rw *rewrite.Rewriter, obj map[string]any, skip rewrite.Outcome) ([]Row, []edit, error) {
	segments := strings.Split(p.path, ".")
	raw, found, err := unstructured.NestedFieldNoCopy(obj, segments...)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", p.path, err)
	}
	if !found {
		return nil, nil, nil
	}
	fields, ok := raw.(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("%s: is a %T, not an object", p.path, raw)
	}
	var spec podspec.Spec
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(fields, &spec); err != nil {
		return nil, nil, fmt.Errorf("decode %s: %w", p.path, err)
	}
	var changes []podspec.Change
	if skip != "" {
		changes = podspec.Skipped(&spec, skip)
	} else {
		changes = podspec.Decide(rw, &spec)
	}
	rows := make([]Row, 0, len(changes))
	var edits []edit
	for _, c := range changes {
		path := patch.Pointer(segments...) + c.Pointer(c.Index)
		rows = append(rows, Row{Field: c.Label(), Path: path, Old: c.Old, New: shown(c.Result), Outcome: c.Outcome})
		if c.Outcome == rewrite.OutcomeRewritten {
			edits = append(edits, edit{path: path, old: c.Old, new: c.Image})
		}
	}
	return rows, edits, nil
}

// configMapInspector reads the explicit registry references in every data
// value of a ConfigMap (Istio's injector values, an add-on's YAML) with
// (*rewrite.Rewriter).Text, which never guesses at an implicit Docker Hub
// name. binaryData is never touched.
type configMapInspector struct{}

func (configMapInspector) inspect(rw *rewrite.Rewriter, obj map[string]any, skip rewrite.Outcome) ([]Row, []edit, error) {
	data, _, err := unstructured.NestedStringMap(obj, "data")
	if err != nil {
		return nil, nil, fmt.Errorf("data: %w", err)
	}
	var rows []Row
	var edits []edit
	for _, key := range slices.Sorted(maps.Keys(data)) {
		text := data[key]
		path := patch.Pointer("data", key)
		rewritten, changes := rw.Text(text)
		for _, c := range changes {
			row := Row{Field: "data." + key, Path: path, Old: c.Old, New: shown(c.Result), Outcome: c.Outcome}
			if skip != "" {
				row.New, row.Outcome = c.Old, skip
			}
			rows = append(rows, row)
		}
		if skip == "" && rewritten != text {
			edits = append(edits, edit{path: path, old: text, new: rewritten})
		}
	}
	return rows, edits, nil
}

// fieldInspector reads one string field of a custom resource, named in the
// config's migrate.fields: a whole image, or a registry prefix such as
// Calico's spec.registry.
type fieldInspector struct {
	path  string // dotted
	value config.FieldValue
	unset string // what the resource's controller uses while the field is absent; "" if unknown
}

func (f fieldInspector) inspect(rw *rewrite.Rewriter, obj map[string]any, skip rewrite.Outcome) ([]Row, []edit, error) {
	raw, found, err := unstructured.NestedFieldNoCopy(obj, strings.Split(f.path, ".")...)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", f.path, err)
	}
	if !found {
		return f.unsetRows(rw, skip), nil, nil
	}
	old, ok := raw.(string)
	if !ok {
		return nil, nil, fmt.Errorf("%s: is a %T, not a string", f.path, raw)
	}
	var res rewrite.Result
	switch {
	case skip != "":
		res = rewrite.Result{Image: old, Outcome: skip}
	case f.value == config.FieldRegistry:
		res = rw.RewritePrefix(old)
	default:
		res = rw.Rewrite(old)
	}
	path := patch.Pointer(strings.Split(f.path, ".")...)
	rows := []Row{{Field: f.path, Path: path, Old: old, New: shown(res), Outcome: res.Outcome}}
	if res.Outcome != rewrite.OutcomeRewritten {
		return rows, nil, nil
	}
	return rows, []edit{{path: path, old: old, new: res.Image}}, nil
}

// unsetRows reports a field the object does not set, which no patch can test
// and replace: the row says what the resource's controller pulls instead (the
// config's unset value, rewritten as a set value would be) and, when that is
// rewritten, the value to set, making the object report-only. A field the
// config knows no default for is still listed, never silently passed over.
func (f fieldInspector) unsetRows(rw *rewrite.Rewriter, skip rewrite.Outcome) []Row {
	row := Row{Field: f.path, Path: patch.Pointer(strings.Split(f.path, ".")...), Old: unsetValue, New: unsetValue, Outcome: rewrite.OutcomeNoRule}
	if f.unset == "" {
		return []Row{row}
	}
	row.Old = "(unset: " + f.unset + ")"
	var res rewrite.Result
	switch {
	case skip != "":
		return []Row{{Field: row.Field, Path: row.Path, Old: row.Old, New: row.Old, Outcome: skip}}
	case f.value == config.FieldRegistry:
		res = rw.RewritePrefix(f.unset)
	default:
		res = rw.Rewrite(f.unset)
	}
	row.New, row.Outcome = shown(res), res.Outcome
	if res.Outcome != rewrite.OutcomeRewritten && res.Outcome != rewrite.OutcomeAudit {
		row.New = row.Old
	}
	return []Row{row}
}

// unsetValue stands for a field the object does not set, in a row's Old.
const unsetValue = "(unset)"

// inspectAll runs every inspector of an object and joins their answers.
func inspectAll(inspectors []inspector, rw *rewrite.Rewriter, obj map[string]any, skip rewrite.Outcome) ([]Row, []edit, error) {
	var rows []Row
	var edits []edit
	for _, in := range inspectors {
		r, e, err := in.inspect(rw, obj, skip)
		if err != nil {
			return nil, nil, err
		}
		rows = append(rows, r...)
		edits = append(edits, e...)
	}
	return rows, edits, nil
}
