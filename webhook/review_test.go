package webhook

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// TestPodReviewAsDecodeReview: a review read in one pass (decodePodReview)
// gives the handler what decodeReview gives it, the fixtures and the cases
// the one pass must leave to decodeReview alike.
func TestPodReviewAsDecodeReview(t *testing.T) {
	t.Parallel()
	fixtures, err := filepath.Glob("testdata/requests/*.json")
	if err != nil {
		t.Fatal(err)
	}
	type test struct{ name, body string }
	var tests []test
	for _, p := range fixtures {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		tests = append(tests, test{filepath.Base(p), string(b)})
	}
	const head = `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"version":"v1","kind":"Pod"},"namespace":"shop","operation":"CREATE",`
	const podA = `{"metadata":{"labels":{"a":"1"}},"spec":{"containers":[{"name":"app","image":"nginx"}]}}`
	const podB = `{"metadata":{"labels":{"b":"2"}},"spec":{"containers":[{"name":"app","image":"redis"}]}}`
	tests = append(tests, []test{
		{"one pass", head + `"object":` + podA + `}}`},
		// A RawExtension keeps the last of two keys; a struct would merge
		// them (labels a and b): left to decodeReview.
		{"object twice", head + `"object":` + podA + `,"object":` + podB + `}}`},
		// A struct decoded twice also keeps the fields the second lacks.
		{"oldObject twice", head[:len(head)-len(`"operation":"CREATE",`)] + `"operation":"UPDATE","object":` + podA +
			`,"oldObject":{"spec":{"containers":[{"name":"app","image":"nginx"}]}},"oldObject":{"spec":{"containers":[{"name":"app"}]}}}}`},
		{"request twice", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","object":` + podA + `},` + head[len(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",`):] + `"object":` + podB + `}}`},
		// A key can be spelt with escapes: "obj\u0065ct" is "object".
		{"escaped key", head + `"object":` + podA + `,"obj\u0065ct":` + podB + `}}`},
		{"escaped key, upper-case hex", head + `"object":` + podA + `,"\u006Fbject":` + podB + `}}`},
		// Keys differ in case from "object": no object at all.
		{"escaped other letters", head + `"obj\u0045ct":` + podA + `,"\u004fbject":` + podB + `}}`},
		// Escapes that are not letters are read in the one pass.
		{"escaped ampersand", head + `"object":{"metadata":{"annotations":{"cmd":"a \u0026\u0026 b"}},"spec":{"containers":[{"name":"app","image":"nginx"}]}}}}`},
		// encoding/json reads an invalid byte as U+FFFD; JSON v2 refuses it.
		{"invalid UTF-8 in an annotation", head + `"object":{"metadata":{"annotations":{"note":"a ` + "\xff" + ` b"}},"spec":{"containers":[{"name":"app","image":"nginx"}]}}}}`},
		{"invalid UTF-8 in an image", head + `"object":{"spec":{"containers":[{"name":"app","image":"nginx` + "\xff" + `"}]}}}}`},
		{"null object", head + `"object":null}}`},
		{"empty object", head + `"object":{}}}`},
		{"no object", head + `"dryRun":true}}`},
		{"object a string", head + `"object":"nginx"}}`},
		{"container image a number", head + `"object":{"spec":{"containers":[{"name":"app","image":1}]}}}}`},
		{"wrong type outside the object", head + `"userInfo":{"username":1},"object":` + podA + `}}`},
		{"request null", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":null}`},
		{"v1beta1", strings.Replace(head, "admission.k8s.io/v1", "admission.k8s.io/v1beta1", 1) + `"object":` + podA + `}}`},
		{"another version", strings.Replace(head, "admission.k8s.io/v1", "admission.k8s.io/v2", 1) + `"object":` + podA + `}}`},
		{"case of a key", head + `"Object":` + podA + `}}`},
		{"truncated", head + `"object":` + podA},
		{"not JSON", `nginx`},
	}...)
	f := newFixture(t, "testdata/config.yaml")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkOnePass(t, f.mutateHandler, []byte(tt.body))
		})
	}
	// What JSON v2 would read unlike the API server's decoder never gets past
	// readPodReview (a name given twice, however spelt, and invalid UTF-8),
	// and what the API server sends does.
	t.Run("one pass or not", func(t *testing.T) {
		t.Parallel()
		read := map[string]bool{"realistic-istio-pod.json": true, "one pass": true, "escaped ampersand": true, "v1beta1": true, "no object": true}
		for _, tt := range tests {
			refuse := strings.Contains(tt.name, "twice") || strings.Contains(tt.name, "escaped key") || strings.Contains(tt.name, "UTF-8")
			if _, ok := readPodReview([]byte(tt.body)); refuse && ok || read[tt.name] && !ok {
				t.Errorf("%s: readPodReview read it: %v", tt.name, ok)
			}
		}
	})
}

// checkOnePass fails t unless decodePodReview and decodeReview read body
// alike: the same error, version and request but for the objects, the same
// pods (or errors) for the handler, and the same answer from h.
func checkOnePass(t *testing.T, h *PodHandler, body []byte) {
	t.Helper()
	fast, fastGVK, fastErr := decodeOwned(t, "one pass", decodePodReview, body)
	slow, slowGVK, slowErr := decodeOwned(t, "decodeReview", decodeReview, body)
	if errString(fastErr) != errString(slowErr) {
		t.Fatalf("one pass: error %v, decodeReview's %v", fastErr, slowErr)
	}
	if slowErr != nil {
		return
	}
	if *fastGVK != *slowGVK {
		t.Fatalf("one pass read %v, decodeReview %v", fastGVK, slowGVK)
	}
	samePod := func(name string, fast, slow runtime.RawExtension, of func(runtime.RawExtension) (any, error)) {
		t.Helper()
		fp, ferr := of(fast)
		sp, serr := of(slow)
		if errString(ferr) != errString(serr) || (serr == nil && !reflect.DeepEqual(fp, sp)) {
			t.Fatalf("%s: one pass read %+v (%v), decodeReview %+v (%v)", name, fp, ferr, sp, serr)
		}
	}
	samePod("object", fast.Object, slow.Object, func(e runtime.RawExtension) (any, error) { return podOf[pod](e) })
	samePod("oldObject", fast.OldObject, slow.OldObject, func(e runtime.RawExtension) (any, error) { return podOf[oldPod](e) })
	fastRest, slowRest := fast, slow
	fastRest.Object, fastRest.OldObject, slowRest.Object, slowRest.OldObject = runtime.RawExtension{}, runtime.RawExtension{}, runtime.RawExtension{}, runtime.RawExtension{}
	if !reflect.DeepEqual(fastRest, slowRest) {
		t.Fatalf("one pass read %+v, decodeReview %+v", fastRest, slowRest)
	}
	hook := &admission.Webhook{Handler: h}
	if a, b := hook.Handle(t.Context(), fast), hook.Handle(t.Context(), slow); !reflect.DeepEqual(a, b) {
		t.Fatalf("one pass answered %+v, decodeReview's request %+v", a, b)
	}
}

// decodeOwned decodes a copy of body with decode, then overwrites the copy,
// as the server does when it reuses a body's buffer (bodies), and fails t
// unless what was decoded still equals a decode of body itself: nothing
// decoded keeps a slice of the bytes it was read from.
func decodeOwned(t *testing.T, name string, decode func([]byte) (admission.Request, *schema.GroupVersionKind, error), body []byte) (admission.Request, *schema.GroupVersionKind, error) {
	t.Helper()
	scratch := bytes.Clone(body)
	req, gvk, err := decode(scratch)
	for i := range scratch {
		scratch[i] = '#'
	}
	want, wantGVK, wantErr := decode(body)
	if errString(err) != errString(wantErr) || !reflect.DeepEqual(gvk, wantGVK) || !reflect.DeepEqual(req, want) {
		t.Fatalf("%s: what it read changed with the body's buffer: %+v, from the intact body %+v", name, req, want)
	}
	return req, gvk, err
}

// BenchmarkDecodeReview reads the Istio pod's review as the handler does
// (decodePodReview: JSON v2, one pass, the pods included) and the old way,
// which bodies the one pass refuses still take (decodeReview:
// sigs.k8s.io/json, a validity scan and then the decode, the pods kept raw
// for a decode of their own), in the same run.
func BenchmarkDecodeReview(b *testing.B) {
	body, err := os.ReadFile("testdata/requests/realistic-istio-pod.json")
	if err != nil {
		b.Fatal(err)
	}
	for _, bm := range []struct {
		name   string
		decode func([]byte) (admission.Request, *schema.GroupVersionKind, error)
	}{{"decodeReview", decodeReview}, {"decodePodReview", decodePodReview}} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := bm.decode(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
