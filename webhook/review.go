package webhook

import (
	jsonv2 "github.com/go-json-experiment/json"
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// podReview is an AdmissionReview whose request's object and oldObject are
// read straight into the handler's shapes (pod, oldPod) in the same pass as
// the review: keeping the objects raw and decoding them afterwards, as
// admission.Request's RawExtension does, reads the pod, nine tenths of the
// body, twice. The shallower Request, Object and OldObject fields hide the
// embedded ones of the same JSON names.
type podReview struct {
	admissionv1.AdmissionReview
	Request *podRequest `json:"request"`
}

type podRequest struct {
	admissionv1.AdmissionRequest
	Object    *pod    `json:"object"`
	OldObject *oldPod `json:"oldObject"`
}

// decodePodReview reads an AdmissionReview for the handler: in one pass by
// readPodReview, with the pods in the request's RawExtension.Object (which
// decodeRequest takes instead of decoding Raw); anything that pass does not
// read goes to decodeReview, which reads it, or reports the error, as before.
// Both give the handler the same pods, hence the same answer
// (TestPodReviewAsDecodeReview, FuzzHandler).
func decodePodReview(body []byte) (admission.Request, *schema.GroupVersionKind, error) {
	ar, ok := readPodReview(body)
	if !ok {
		return decodeReview(body)
	}
	req := admission.Request{AdmissionRequest: ar.Request.AdmissionRequest}
	if ar.Request.Object != nil {
		req.Object.Object = ar.Request.Object
	}
	if ar.Request.OldObject != nil {
		req.OldObject.Object = ar.Request.OldObject
	}
	gvk := ar.GroupVersionKind()
	return req, &gvk, nil
}

// readPodReview reads body with JSON v2 (github.com/go-json-experiment/json,
// the implementation of the standard library's encoding/json/v2 by its
// authors): it reads a document once, where encoding/json scans it for
// validity before decoding it, and under load that decode was a third of the
// server's time (docs/performance.md). It matches names case-sensitively, as
// the API server's decoder does, and it refuses the two inputs it would read
// unlike that decoder: a name given twice in an object (a RawExtension
// keeps the last; a struct decoded twice merges both), however its letters
// are escaped, and invalid UTF-8 (which encoding/json replaces with U+FFFD).
// It reports false for those, for any other error, and for a review that is
// not one of the versions the API server sends.
func readPodReview(body []byte) (*podReview, bool) {
	ar := &podReview{Request: &podRequest{}}
	if jsonv2.Unmarshal(body, ar) != nil || !firstClass(ar.TypeMeta) || ar.Request == nil {
		return nil, false
	}
	return ar, true
}
