package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/pullthrough/pullthrough/podspec"
	"github.com/pullthrough/pullthrough/rewrite"
)

// podPatch is everything the handler will change on one pod.
type podPatch struct {
	images      []podspec.Change  // rewritten changes, applied by field and index
	annotations map[string]string // annotation key -> new value
	pullSecrets []string          // names to append to spec.imagePullSecrets
	rewritten   int
}

// newPodPatch collects the rewritten images and, if record is set, the
// annotations that record them, merged into any that an earlier call
// (reinvocation) wrote. It returns the keys of annotations whose value was
// not pullthrough's JSON and is replaced.
func newPodPatch(pod *corev1.Pod, changes []podspec.Change, record bool) (*podPatch, []string) {
	p := &podPatch{annotations: map[string]string{}}
	originals, proposals := map[string]string{}, map[string]string{}
	for _, c := range changes {
		switch c.Outcome {
		case rewrite.OutcomeRewritten:
			p.images = append(p.images, c)
			originals[c.Container] = c.Old
		case rewrite.OutcomeAudit:
			proposals[c.Container] = c.Proposed
		}
	}
	p.rewritten = len(p.images)
	if !record {
		return p, nil
	}
	var replaced []string
	if !p.mergeAnnotation(pod, AnnotationOriginalImages, originals) {
		replaced = append(replaced, AnnotationOriginalImages)
	}
	if !p.mergeAnnotation(pod, AnnotationWouldRewrite, proposals) {
		replaced = append(replaced, AnnotationWouldRewrite)
	}
	return p, replaced
}

// mergeAnnotation adds entries to the JSON map held in annotation key.
// encoding/json sorts map keys, so the same content always encodes to the
// same string and a reinvocation produces no patch. It reports false when an
// existing value was not our JSON (edited by hand) and is replaced: the pod
// must still start, so the caller logs it rather than failing.
func (p *podPatch) mergeAnnotation(pod *corev1.Pod, key string, entries map[string]string) bool {
	if len(entries) == 0 {
		return true
	}
	merged := map[string]string{}
	ok := true
	if old, found := pod.Annotations[key]; found {
		if err := json.Unmarshal([]byte(old), &merged); err != nil {
			merged, ok = map[string]string{}, false
		}
	}
	for k, v := range entries {
		merged[k] = v
	}
	b, _ := json.Marshal(merged) // a map[string]string always marshals
	if string(b) != pod.Annotations[key] {
		p.annotations[key] = string(b)
	}
	return ok
}

// addPullSecrets appends the configured secrets the pod lacks.
func (p *podPatch) addPullSecrets(pod *corev1.Pod, names []string) {
	have := map[string]bool{}
	for _, s := range pod.Spec.ImagePullSecrets {
		have[s.Name] = true
	}
	for _, n := range names {
		if !have[n] {
			p.pullSecrets = append(p.pullSecrets, n)
			have[n] = true
		}
	}
}

func (p *podPatch) empty() bool {
	return len(p.images) == 0 && len(p.annotations) == 0 && len(p.pullSecrets) == 0
}

// response is the admission answer for this patch: the raw object edited,
// diffed against itself by controller-runtime.
func (p *podPatch) response(raw []byte) (admission.Response, error) {
	patched, err := p.applyTo(raw)
	if err != nil {
		return admission.Response{}, err
	}
	resp := admission.PatchResponseFromRaw(raw, patched)
	if !resp.Allowed {
		return admission.Response{}, fmt.Errorf("diff the patched pod: %s", resp.Result.Message)
	}
	return resp, nil
}

// applyTo edits the raw object as generic JSON and returns it. Working on
// the raw JSON rather than on corev1.Pod keeps every field this binary's API
// types do not know (a newer API server's), which a typed round trip would
// drop and the patch would then remove. Numbers stay json.Number, exact.
func (p *podPatch) applyTo(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("decode object: %w", err)
	}
	spec, ok := obj["spec"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("object has no spec")
	}
	for _, c := range p.images {
		list, ok := spec[c.Field].([]any)
		if !ok || c.Index >= len(list) {
			return nil, fmt.Errorf("spec.%s[%d] not found", c.Field, c.Index)
		}
		container, ok := list[c.Index].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("spec.%s[%d] is not an object", c.Field, c.Index)
		}
		container["image"] = c.Image
	}
	if len(p.annotations) > 0 {
		meta, _ := obj["metadata"].(map[string]any)
		if meta == nil {
			meta = map[string]any{}
			obj["metadata"] = meta
		}
		ann, _ := meta["annotations"].(map[string]any)
		if ann == nil {
			ann = map[string]any{}
			meta["annotations"] = ann
		}
		for k, v := range p.annotations {
			ann[k] = v
		}
	}
	if len(p.pullSecrets) > 0 {
		secrets, _ := spec["imagePullSecrets"].([]any)
		for _, n := range p.pullSecrets {
			secrets = append(secrets, map[string]any{"name": n})
		}
		spec["imagePullSecrets"] = secrets
	}
	return json.Marshal(obj)
}
