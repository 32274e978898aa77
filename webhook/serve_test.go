package webhook

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// TestDecodeReviewAsDeserializer: the one-pass decode reads every fixture
// exactly as the universal deserializer does (request and version), and
// errors where it errors.
func TestDecodeReviewAsDeserializer(t *testing.T) {
	t.Parallel()
	fixtures, err := filepath.Glob("testdata/requests/*.json")
	if err != nil {
		t.Fatal(err)
	}
	fixtures = append(fixtures, "testdata/fuzz/FuzzHandler/request-uid-kind-not-object")
	for _, p := range fixtures {
		t.Run(filepath.Base(p), func(t *testing.T) {
			t.Parallel()
			body, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			got, gotGVK, gotErr := decodeReview(body)
			want := admission.Request{}
			ar := unversionedReview{}
			ar.Request = &want.AdmissionRequest
			ar.SetGroupVersionKind(admissionv1.SchemeGroupVersion.WithKind("AdmissionReview"))
			_, wantGVK, wantErr := reviewCodecs.UniversalDeserializer().Decode(body, nil, &ar)
			if (gotErr != nil) != (wantErr != nil) {
				t.Fatalf("error %v, the deserializer's %v", gotErr, wantErr)
			}
			if wantErr == nil && (!reflect.DeepEqual(got, want) || *gotGVK != *wantGVK) {
				t.Errorf("decoded %+v (%v), the deserializer %+v (%v)", got, gotGVK, want, wantGVK)
			}
		})
	}
}

// TestPooledBodiesConcurrent: requests served at once, with bodies of
// different lengths read into the same pooled buffers one after another,
// each get the answer to their own pod: a buffer given back before its
// answer was written, or a shorter body read over a longer one's bytes,
// would answer one request with another's uid or image.
func TestPooledBodiesConcurrent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "testdata/config.yaml")
	for i := range 16 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			uid := fmt.Sprintf("uid-%d", i)
			image := fmt.Sprintf("app-%d:1", i)
			// From under 200 bytes to about 45 KB, across maxPooledBody's
			// share of the pool.
			pad := strings.Repeat("x", i*i*170)
			body := fmt.Sprintf(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":%q,"kind":{"version":"v1","kind":"Pod"},"resource":{"version":"v1","resource":"pods"},"namespace":"shop","operation":"CREATE","object":{"metadata":{"annotations":{"pad":%q}},"spec":{"containers":[{"name":"app","image":%q}]}}}}`, uid, pad, image)
			want := "proxy.example.internal/dockerhub/library/" + image
			for range 50 {
				resp := post(t, f.mutate, []byte(body))
				if string(resp.UID) != uid || !resp.Allowed || !bytes.Contains(resp.Patch, []byte(want)) {
					t.Fatalf("answered uid %q allowed %v patch %s; want uid %q and %s", resp.UID, resp.Allowed, resp.Patch, uid, want)
				}
			}
		})
	}
}
