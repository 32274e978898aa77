package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	gomodules "gomodules.xyz/jsonpatch/v2"
	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// checkOracle holds the handler's exact operations to the generic way of
// patching: the same decided edits applied to the raw object as generic
// JSON, the two documents diffed by jsonpatch. Applied by the API server's
// JSON patch library, both must give the same object. It also checks the
// operations' shape: every replace is preceded by a test of its path.
func checkOracle(t *testing.T, h *PodHandler, body, patch []byte) {
	t.Helper()
	req := admission.Request{}
	review := unversionedReview{}
	review.Request = &req.AdmissionRequest
	if _, _, err := reviewCodecs.UniversalDeserializer().Decode(body, nil, &review); err != nil {
		return
	}
	p, old, _, _ := decodeRequest(req)
	if p == nil {
		return
	}
	if p.Spec.Images() > h.Limits.withDefaults().MaxPodImages {
		if len(patch) > 0 {
			t.Fatalf("patch %s for a pod past the image cap", patch)
		}
		return
	}
	pp, _, _, denial := h.plan(t.Context(), req, p, old)
	if denial != "" {
		return
	}
	if _, err := pp.ops(p); pp.empty() || err != nil {
		if len(patch) > 0 {
			t.Fatalf("patch %s for a pod with nothing to patch (or a refused patch: %v)", patch, err)
		}
		return
	}
	raw := req.Object.Raw
	var ops []gomodules.Operation
	if err := json.Unmarshal(patch, &ops); err != nil {
		t.Fatalf("patch %s: %v", patch, err)
	}
	for i, op := range ops {
		if op.Operation == "replace" && (i == 0 || ops[i-1].Operation != "test" || ops[i-1].Path != op.Path) {
			t.Fatalf("operation %d replaces %s without testing it first: %s", i, op.Path, patch)
		}
	}
	ours := applyOps(t, raw, patch)
	// The generic diff reads numbers as float64, so it has no answer for an
	// object with one out of that range (900719925E740993); the API server
	// never sends one (its decoder refuses them), and our patch applied.
	if json.Unmarshal(raw, new(any)) != nil {
		return
	}
	edited, err := genericEdit(pp, raw)
	if err != nil {
		t.Fatalf("the oracle cannot edit the object: %v", err)
	}
	diff, err := gomodules.CreatePatch(raw, edited)
	if err != nil {
		t.Fatalf("the oracle cannot diff: %v", err)
	}
	diffJSON, err := json.Marshal(diff)
	if err != nil {
		t.Fatal(err)
	}
	want := applyOps(t, raw, diffJSON)
	if !reflect.DeepEqual(generic(t, ours), generic(t, want)) {
		t.Fatalf("our operations and the generic diff disagree:\n ours %s\n diff %s\n gives %s\n want  %s", patch, diffJSON, ours, want)
	}
}

// applyOps applies a JSON patch as the API server does.
func applyOps(t *testing.T, doc, patch []byte) []byte {
	t.Helper()
	p, err := jsonpatch.DecodePatch(patch)
	if err != nil {
		t.Fatalf("patch %s does not decode: %v", patch, err)
	}
	out, err := p.Apply(doc)
	if err != nil {
		t.Fatalf("patch %s does not apply: %v", patch, err)
	}
	return out
}

// generic decodes JSON for comparison, numbers exact.
func generic(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return v
}

// genericEdit is the former way of patching, kept as the oracle: edit the raw
// object as generic JSON.
func genericEdit(pp *podPatch, raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("decode object: %w", err)
	}
	spec, _ := obj["spec"].(map[string]any)
	for _, c := range pp.images {
		list, _ := spec[c.Field].([]any)
		if c.Index >= len(list) {
			return nil, fmt.Errorf("spec.%s[%d] not found", c.Field, c.Index)
		}
		// Walk the entry's image path to the object that holds the last field.
		holder, ok := list[c.Index].(map[string]any)
		last := len(c.ImagePath) - 1
		for _, field := range c.ImagePath[:last] {
			if !ok {
				break
			}
			holder, ok = holder[field].(map[string]any)
		}
		if !ok {
			return nil, fmt.Errorf("spec.%s[%d]: no object holds its image", c.Field, c.Index)
		}
		holder[c.ImagePath[last]] = c.Image
	}
	if len(pp.annotations) > 0 {
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
		for _, a := range pp.annotations {
			ann[a.key] = a.value
		}
	}
	if len(pp.pullSecrets) > 0 {
		secrets, _ := spec["imagePullSecrets"].([]any)
		for _, n := range pp.pullSecrets {
			secrets = append(secrets, map[string]any{"name": n})
		}
		spec["imagePullSecrets"] = secrets
	}
	return json.Marshal(obj)
}
