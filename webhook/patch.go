package webhook

import (
	"fmt"
	"slices"

	"gomodules.xyz/jsonpatch/v2"

	"github.com/pullthrough/pullthrough/internal/patch"
	"github.com/pullthrough/pullthrough/podspec"
	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

// podPatch is everything the handler will change on one pod, decided before
// any operation is written: the operations (ops) and, in the tests, the
// generic-JSON oracle are both built from it.
type podPatch struct {
	images      []podspec.Change // rewritten changes, by field and index
	annotations []annotation     // to set, in a fixed order
	pullSecrets []string         // names to append to spec.imagePullSecrets
}

// annotation is one annotation to set.
type annotation struct{ key, value string }

// newPodPatch collects the rewritten images and, if record is set, the
// annotations that record them, merged into any that an earlier call
// (reinvocation) wrote. On CREATE (create set) a record keeps only entries
// of this pod's own images: whoever creates a pod writes its annotations, so
// an entry for a container the pod does not have is forged and is dropped
// (the policy engine drops it alike). It returns the keys of annotations
// whose value was not pullthrough's JSON and is replaced.
func newPodPatch(p *pod, changes []podspec.Change, record, create bool) (*podPatch, []string) {
	pp := &podPatch{}
	var originals, proposals, notServed map[string]string
	for _, c := range changes {
		switch c.Outcome {
		case rewrite.OutcomeRewritten:
			pp.images = append(pp.images, c)
			originals = put(originals, c.Key(), c.Old)
		case rewrite.OutcomeAudit:
			proposals = put(proposals, c.Key(), c.Proposed)
		case rewrite.OutcomeNotServed:
			notServed = put(notServed, c.Key(), c.Proposed)
		}
	}
	if !record {
		return pp, nil
	}
	var slots map[string]bool // nil: every key an earlier request recorded stays
	if create {
		slots = make(map[string]bool, len(changes))
		for _, c := range changes {
			slots[c.Key()] = true
		}
	}
	var replaced []string
	if !pp.mergeAnnotation(p, wellknown.AnnotationOriginalImages, originals, slots) {
		replaced = append(replaced, wellknown.AnnotationOriginalImages)
	}
	if !pp.mergeAnnotation(p, wellknown.AnnotationWouldRewrite, proposals, slots) {
		replaced = append(replaced, wellknown.AnnotationWouldRewrite)
	}
	if !pp.mergeAnnotation(p, wellknown.AnnotationNotServed, notServed, slots) {
		replaced = append(replaced, wellknown.AnnotationNotServed)
	}
	return pp, replaced
}

// put sets m[k] = v, making m on first use: most pods need neither map.
func put(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}

// mergeAnnotation adds entries to the JSON map held in annotation key,
// keeping of the entries there only the keys in slots, when slots is set.
// encoding/json sorts map keys, so the same content always encodes to the
// same string and a reinvocation produces no patch. It reports false when an
// existing value was not our JSON (edited by hand) and is replaced: the pod
// must still start, so the caller logs it rather than failing.
func (pp *podPatch) mergeAnnotation(p *pod, key string, entries map[string]string, slots map[string]bool) bool {
	if len(entries) == 0 {
		return true
	}
	merged := map[string]string{}
	ok := true
	old, found := p.annotation(key)
	if found {
		var err error
		if merged, err = wellknown.DecodeRecord(old); err != nil {
			merged, ok = map[string]string{}, false
		}
	}
	if slots != nil {
		for k := range merged {
			if !slots[k] {
				delete(merged, k)
			}
		}
	}
	for k, v := range entries {
		merged[k] = v
	}
	b := wellknown.EncodeRecord(merged)
	if !found || b != old {
		pp.annotations = append(pp.annotations, annotation{key, b})
	}
	return ok
}

// addPullSecrets appends the configured secrets the pod lacks.
func (pp *podPatch) addPullSecrets(p *pod, names []string) {
	for _, n := range names {
		if !hasPullSecret(p, n) && !slices.Contains(pp.pullSecrets, n) {
			pp.pullSecrets = append(pp.pullSecrets, n)
		}
	}
}

func hasPullSecret(p *pod, name string) bool {
	for _, s := range p.Spec.ImagePullSecrets {
		if s.Name == name {
			return true
		}
	}
	return false
}

func (pp *podPatch) empty() bool {
	return len(pp.images) == 0 && len(pp.annotations) == 0 && len(pp.pullSecrets) == 0
}

// ops writes the patch as exact JSON patch operations on p, the object it
// was decided on:
//   - each image is a replace preceded by a test of its old value, so an
//     index that does not hold the image it was decided for can never be
//     written: this function refuses such a change (the handler then allows
//     the pod unchanged and counts it), and were one to slip through, the
//     API server's test would fail the patch rather than write another
//     container;
//   - annotations are added as a map when the pod has none, else per key;
//   - pull secrets are added as an array when the pod has none, else appended.
func (pp *podPatch) ops(p *pod) ([]jsonpatch.Operation, error) {
	ops := make([]jsonpatch.Operation, 0, 2*len(pp.images)+len(pp.annotations)+len(pp.pullSecrets))
	for _, c := range pp.images {
		if !p.Spec.Holds(c) {
			return nil, fmt.Errorf("spec.%s[%d] does not hold %q with image %q: refusing to patch it", c.Field, c.Index, c.Name, c.Old)
		}
		ops = patch.Replace(ops, "/spec"+c.Pointer(c.Index), c.Old, c.Image)
	}
	ops = append(ops, pp.annotationOps(p)...)
	switch {
	case len(pp.pullSecrets) == 0:
	case len(p.Spec.ImagePullSecrets) == 0:
		refs := make([]map[string]string, len(pp.pullSecrets))
		for i, n := range pp.pullSecrets {
			refs[i] = map[string]string{"name": n}
		}
		ops = append(ops, jsonpatch.Operation{Operation: "add", Path: "/spec/imagePullSecrets", Value: refs})
	default:
		for _, n := range pp.pullSecrets {
			ops = append(ops, jsonpatch.Operation{Operation: "add", Path: "/spec/imagePullSecrets/-", Value: map[string]string{"name": n}})
		}
	}
	return ops, nil
}

// annotationOps sets pp's annotations: as a new map (inside a new metadata
// when the object has none), or key by key into the existing map.
func (pp *podPatch) annotationOps(p *pod) []jsonpatch.Operation {
	if len(pp.annotations) == 0 {
		return nil
	}
	if p.Metadata == nil || p.Metadata.Annotations == nil {
		m := make(map[string]string, len(pp.annotations))
		for _, a := range pp.annotations {
			m[a.key] = a.value
		}
		if p.Metadata == nil {
			return []jsonpatch.Operation{{Operation: "add", Path: "/metadata", Value: map[string]any{"annotations": m}}}
		}
		return []jsonpatch.Operation{{Operation: "add", Path: "/metadata/annotations", Value: m}}
	}
	ops := make([]jsonpatch.Operation, len(pp.annotations))
	for i, a := range pp.annotations {
		ops[i] = jsonpatch.Operation{Operation: "add", Path: patch.Pointer("metadata", "annotations", a.key), Value: a.value}
	}
	return ops
}
