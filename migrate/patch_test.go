package migrate

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"

	"github.com/pullthrough/pullthrough/wellknown"
)

// nginxEdit is the edit most patch tests make.
var nginxEdit = edit{path: "/spec/template/spec/containers/0/image", old: "nginx:1.27", new: "proxy.example.internal/dockerhub/library/nginx:1.27"}

func TestApplyOps(t *testing.T) {
	t.Parallel()
	const image = "/spec/template/spec/containers/0/image"
	tests := []struct {
		name        string
		annotations map[string]string
		edits       []edit
		want        string // the patch as JSON
		wantErr     string
	}{{
		// The annotations map must be created, and must still be absent.
		name:  "no annotations",
		edits: []edit{nginxEdit},
		want: `[{"op":"test","path":"` + image + `","value":"nginx:1.27"},` +
			`{"op":"replace","path":"` + image + `","value":"proxy.example.internal/dockerhub/library/nginx:1.27"},` +
			`{"op":"test","path":"/metadata/annotations","value":null},` +
			`{"op":"add","path":"/metadata/annotations","value":{"pullthrough.dev/migrated-images":"{\"` + image + `\":\"nginx:1.27\"}"}}]`,
	}, {
		// Other annotations are kept; ours must still be absent.
		name:        "other annotations",
		annotations: map[string]string{"team": "shop"},
		edits:       []edit{nginxEdit},
		want: `[{"op":"test","path":"` + image + `","value":"nginx:1.27"},` +
			`{"op":"replace","path":"` + image + `","value":"proxy.example.internal/dockerhub/library/nginx:1.27"},` +
			`{"op":"test","path":"/metadata/annotations/pullthrough.dev~1migrated-images","value":null},` +
			`{"op":"add","path":"/metadata/annotations/pullthrough.dev~1migrated-images","value":"{\"` + image + `\":\"nginx:1.27\"}"}]`,
	}, {
		// An earlier run's record is merged, keys sorted, and tested unchanged.
		name:        "earlier record merged",
		annotations: map[string]string{wellknown.AnnotationMigratedImages: `{"/spec/template/spec/initContainers/0/image":"alpine:3"}`},
		edits:       []edit{nginxEdit},
		want: `[{"op":"test","path":"` + image + `","value":"nginx:1.27"},` +
			`{"op":"replace","path":"` + image + `","value":"proxy.example.internal/dockerhub/library/nginx:1.27"},` +
			`{"op":"test","path":"/metadata/annotations/pullthrough.dev~1migrated-images","value":"{\"/spec/template/spec/initContainers/0/image\":\"alpine:3\"}"},` +
			`{"op":"add","path":"/metadata/annotations/pullthrough.dev~1migrated-images","value":"{\"` + image + `\":\"nginx:1.27\",\"/spec/template/spec/initContainers/0/image\":\"alpine:3\"}"}]`,
	}, {
		// The same path migrated again (the image was reverted, then moved
		// again): the latest original wins, because undo must restore what
		// the latest patch replaced.
		name:        "same path again",
		annotations: map[string]string{wellknown.AnnotationMigratedImages: `{"` + image + `":"nginx:1.25"}`},
		edits:       []edit{nginxEdit},
		want: `[{"op":"test","path":"` + image + `","value":"nginx:1.27"},` +
			`{"op":"replace","path":"` + image + `","value":"proxy.example.internal/dockerhub/library/nginx:1.27"},` +
			`{"op":"test","path":"/metadata/annotations/pullthrough.dev~1migrated-images","value":"{\"` + image + `\":\"nginx:1.25\"}"},` +
			`{"op":"add","path":"/metadata/annotations/pullthrough.dev~1migrated-images","value":"{\"` + image + `\":\"nginx:1.27\"}"}]`,
	}, {
		// A hand-edited record would lose what undo needs: refuse.
		name:        "record not JSON",
		annotations: map[string]string{wellknown.AnnotationMigratedImages: "nginx"},
		edits:       []edit{nginxEdit},
		wantErr:     "annotation pullthrough.dev/migrated-images is not a JSON object",
	}, {
		// ConfigMap text keeps '<' and '&' readable in the record.
		name:  "no HTML escaping",
		edits: []edit{{path: "/data/v", old: "a<b&c docker.io/x", new: "a<b&c proxy/x"}},
		want: `[{"op":"test","path":"/data/v","value":"a\u003cb\u0026c docker.io/x"},` +
			`{"op":"replace","path":"/data/v","value":"a\u003cb\u0026c proxy/x"},` +
			`{"op":"test","path":"/metadata/annotations","value":null},` +
			`{"op":"add","path":"/metadata/annotations","value":{"pullthrough.dev/migrated-images":"{\"/data/v\":\"a\u003cb\u0026c docker.io/x\"}"}}]`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ops, err := applyOps(tt.edits, tt.annotations)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(ops)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("patch:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestRestoreOps(t *testing.T) {
	t.Parallel()
	const image2 = "/spec/template/spec/containers/2/image"
	restore := edit{path: nginxEdit.path, old: nginxEdit.new, new: nginxEdit.old}
	const restoreNginx = `{"op":"test","path":"/spec/template/spec/containers/0/image","value":"proxy.example.internal/dockerhub/library/nginx:1.27"},` +
		`{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.27"},`
	tests := []struct {
		name   string
		record string
		kept   map[string]string
		want   string
	}{{
		name:   "everything restored: the record goes",
		record: `{"/spec/template/spec/containers/0/image":"nginx:1.27"}`,
		want: `[` + restoreNginx +
			`{"op":"test","path":"/metadata/annotations/pullthrough.dev~1migrated-images","value":"{\"/spec/template/spec/containers/0/image\":\"nginx:1.27\"}"},` +
			`{"op":"remove","path":"/metadata/annotations/pullthrough.dev~1migrated-images"}]`,
	}, {
		// The record is the only copy of an original not restored.
		name:   "a value not restored stays recorded",
		record: `{"/spec/template/spec/containers/0/image":"nginx:1.27","` + image2 + `":"ghcr.io/acme/web:2"}`,
		kept:   map[string]string{image2: "ghcr.io/acme/web:2"},
		want: `[` + restoreNginx +
			`{"op":"test","path":"/metadata/annotations/pullthrough.dev~1migrated-images","value":"{\"/spec/template/spec/containers/0/image\":\"nginx:1.27\",\"/spec/template/spec/containers/2/image\":\"ghcr.io/acme/web:2\"}"},` +
			`{"op":"replace","path":"/metadata/annotations/pullthrough.dev~1migrated-images","value":"{\"/spec/template/spec/containers/2/image\":\"ghcr.io/acme/web:2\"}"}]`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ops, err := restoreOps([]edit{restore}, map[string]string{wellknown.AnnotationMigratedImages: tt.record}, tt.kept)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(ops)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("patch:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestPatchSemantics holds the JSON patch library the API server uses
// (evanphx/json-patch v4) to the behaviour the migrator's safety rests on:
// a changed value fails the whole patch, and a null test passes only where
// the member is absent.
func TestPatchSemantics(t *testing.T) {
	t.Parallel()
	deployment := func(image string, annotations string) string {
		return `{"metadata":{` + annotations + `},"spec":{"template":{"spec":{"containers":[{"image":"` + image + `"}]}}}}`
	}
	tests := []struct {
		name        string
		doc         string
		annotations map[string]string
		wantFailed  bool
	}{
		{"unchanged, no annotations", deployment("nginx:1.27", ""), nil, false},
		{"image changed concurrently", deployment("nginx:1.28", ""), nil, true},
		// Someone added annotations after the read: the add would wipe them.
		{"annotations appeared concurrently", deployment("nginx:1.27", `"annotations":{"team":"shop"}`), nil, true},
		{"unchanged, other annotations", deployment("nginx:1.27", `"annotations":{"team":"shop"}`), map[string]string{"team": "shop"}, false},
		// Another migrator run recorded first.
		{"record appeared concurrently", deployment("nginx:1.27", `"annotations":{"team":"shop","pullthrough.dev/migrated-images":"{}"}`),
			map[string]string{"team": "shop"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ops, err := applyOps([]edit{nginxEdit}, tt.annotations)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := json.Marshal(ops)
			if err != nil {
				t.Fatal(err)
			}
			patch, err := jsonpatch.DecodePatch(raw)
			if err != nil {
				t.Fatal(err)
			}
			out, err := patch.Apply([]byte(tt.doc))
			if tt.wantFailed {
				if !errors.Is(err, jsonpatch.ErrTestFailed) {
					t.Fatalf("Apply error = %v, want ErrTestFailed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(out), `"image":"proxy.example.internal/dockerhub/library/nginx:1.27"`) ||
				!strings.Contains(string(out), `"pullthrough.dev/migrated-images":`) {
				t.Fatalf("patched document lacks the new image or the record: %s", out)
			}
		})
	}
}
