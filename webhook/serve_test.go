package webhook

import (
	"os"
	"path/filepath"
	"reflect"
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
