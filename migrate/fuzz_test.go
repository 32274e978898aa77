package migrate

import (
	"encoding/json"
	"slices"
	"testing"

	"gomodules.xyz/jsonpatch/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/pullthrough/pullthrough/wellknown"
)

// fuzzSeeds are stored objects of every kind the test config selects, in
// namespaces of every mode, each with a record worth mutating.
var fuzzSeeds = []struct{ manifest, record string }{
	{webDeployment, ""},
	{webDeployment, `{"/spec/template/spec/containers/0/image":"nginx:1.27"}`},
	{webDeployment, `{"/spec/template/spec/containers/0/image":"nginx:1.27","/metadata/name":"x","":"y","/":"z","/spec/template/spec/containers/9/image":"a"}`},
	{webDeployment, `{"/spec/template/spec/containers/0":"nginx:1.27","/spec/template/spec":"x","/spec/template/spec/containers/0/image/x":"y"}`},
	{webDeployment, "edited by hand"},
	{webDeployment, `{"/spec/template/spec/containers/0/image":7}`},
	{`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"w","namespace":"trial"},"spec":{"template":{"spec":{"containers":[{"name":"a","image":"proxy.example.internal/quay/x:1"}]}}}}`,
		`{"/spec/template/spec/containers/0/image":"quay.io/x:1"}`},
	{`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"w","namespace":"legacy-a"},"spec":{"template":{"spec":{"containers":{"name":"a"}}}}}`, ""},
	{`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"istio-sidecar-injector","namespace":"istio-system"},"data":{"values":"{\"hub\":\"docker.io/istio\"}"}}`,
		`{"/data/values":"{\"hub\":\"docker.io/istio\"}"}`},
	{`{"apiVersion":"operator.example.io/v1","kind":"Installation","metadata":{"name":"default"},"spec":{"registry":"quay.io/","node":{"image":"docker.io/calico/node:v3"}}}`,
		`{"/spec/registry":"quay.io/","/spec/node/image":"docker.io/calico/node:v3"}`},
	{`{"metadata":[],"spec":"x"}`, `{}`},
}

// FuzzStoredObject feeds the migrator what it reads from the API server: any
// object, listed as every resource the test config selects, with any value
// in its own record annotation (a hand-edited record above all). Planning
// and undoing must never panic; an unreadable record fails that object,
// reported; a planned patch applies to the object as stored (its tests
// hold); a forward patch records the value it replaced and leaves nothing
// to migrate; and undo restores a value only where the object still holds
// what an apply of the recorded original writes, never a record's word alone.
func FuzzStoredObject(f *testing.F) {
	for _, s := range fuzzSeeds {
		js, err := yaml.YAMLToJSON([]byte(s.manifest))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(js, s.record)
	}
	m := newOfflineMigrator(f, Options{Diff: true})
	var resources []string
	for _, s := range m.sources {
		if !slices.Contains(resources, s.gvr.Resource) {
			resources = append(resources, s.gvr.Resource)
		}
	}
	f.Fuzz(func(t *testing.T, stored []byte, record string) {
		u := &unstructured.Unstructured{}
		if err := json.Unmarshal(stored, &u.Object); err != nil || u.Object == nil {
			return
		}
		if record != "" {
			annotations := u.GetAnnotations()
			if annotations == nil {
				annotations = map[string]string{}
			}
			annotations[wellknown.AnnotationMigratedImages] = record
			u.SetAnnotations(annotations)
		}
		for _, resource := range resources {
			checkForward(t, m, resource, decideOffline(t, m, forwardOffline(m), resource, u), u)
			checkUndo(t, m, decideOffline(t, m, &undo{m: m}, resource, u), u)
		}
	})
}

// replaced lists the values a patch replaces, path -> [tested old, new],
// leaving out the record annotation.
func replaced(ops []jsonpatch.Operation) map[string][2]string {
	out := map[string][2]string{}
	for i, op := range ops {
		if op.Operation != "replace" || i == 0 || ops[i-1].Operation != "test" || ops[i-1].Path != op.Path {
			continue
		}
		old, _ := ops[i-1].Value.(string)
		now, _ := op.Value.(string)
		out[op.Path] = [2]string{old, now}
	}
	return out
}

// planned is the plan's only item if it has a patch to send.
func planned(p *Plan) *item {
	if len(p.items) != 1 || p.items[0].row.Status != StatusPlanned {
		return nil
	}
	return p.items[0]
}

func checkForward(t *testing.T, m *Migrator, resource string, p *Plan, u *unstructured.Unstructured) {
	t.Helper()
	o := planned(p)
	if o == nil {
		return
	}
	after := patched(t, p, u)
	record, err := readRecord(after.GetAnnotations())
	if err != nil {
		t.Fatalf("the forward patch leaves an unreadable record: %v", err)
	}
	for path, values := range replaced(o.ops) {
		if record[path] != values[0] {
			t.Fatalf("record of %s = %q after the patch, want the replaced %q", path, record[path], values[0])
		}
	}
	if again := planned(decideOffline(t, m, forwardOffline(m), resource, after)); again != nil {
		t.Fatalf("a migrated object plans another patch: %s", mustJSON(t, again.ops))
	}
}

func checkUndo(t *testing.T, m *Migrator, p *Plan, u *unstructured.Unstructured) {
	t.Helper()
	o := planned(p)
	if o == nil {
		return
	}
	record, err := readRecord(u.GetAnnotations())
	if err != nil {
		t.Fatalf("undo planned from an unreadable record: %v", err)
	}
	after := patched(t, p, u)
	_, wrote, err := inspectAll(o.inspectors, m.enforce, after.Object, "")
	if err != nil {
		t.Fatalf("the restored object no longer reads: %v", err)
	}
	for path, values := range replaced(o.ops) {
		if values[1] != record[path] {
			t.Fatalf("undo writes %q at %s, the record says %q", values[1], path, record[path])
		}
		if !slices.Contains(wrote, edit{path: path, old: values[1], new: values[0]}) {
			t.Fatalf("undo restores %s from %q, which an apply of %q would not have written", path, values[0], values[1])
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
