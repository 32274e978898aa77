package webhook

import (
	"bytes"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	sigsjson "sigs.k8s.io/json"
)

// podReview is an AdmissionReview whose request's object and oldObject are
// read straight into the handler's shapes (pod, oldPod) in the same pass as
// the review. encoding/json reads a document twice (a validity scan, then
// the decode), so keeping the objects raw and decoding them afterwards, as
// admission.Request's RawExtension does, reads the pod, nine tenths of the
// body, four times instead of two: under load that was a third of the
// server's time, and most of what set it below a server that reads the
// request's uid alone (docs/performance.md). The shallower Request, Object
// and OldObject fields hide the embedded ones of the same JSON names.
type podReview struct {
	admissionv1.AdmissionReview
	Request *podRequest `json:"request"`
}

type podRequest struct {
	admissionv1.AdmissionRequest
	Object    *pod    `json:"object"`
	OldObject *oldPod `json:"oldObject"`
}

// decodePodReview reads an AdmissionReview for the handler: in one pass when
// onePass allows it, with the pods in the request's RawExtension.Object
// (which decodeRequest takes instead of decoding Raw); otherwise, and for
// anything that pass does not read without an error, by decodeReview. Both
// give the handler the same pods, hence the same answer: the one-pass
// decode is the same decoder, with the same options, over the same bytes
// into the same shapes, and any error sends the body down the other way,
// which reports it as before (TestPodReviewAsDecodeReview, FuzzHandler).
func decodePodReview(body []byte) (admission.Request, *schema.GroupVersionKind, error) {
	if onePass(body) {
		var r podRequest
		ar := podReview{Request: &r}
		if sigsjson.UnmarshalCaseSensitivePreserveInts(body, &ar) == nil && firstClass(ar.TypeMeta) {
			req := admission.Request{AdmissionRequest: r.AdmissionRequest}
			if r.Object != nil {
				req.Object.Object = r.Object
			}
			if r.OldObject != nil {
				req.OldObject.Object = r.OldObject
			}
			gvk := ar.GroupVersionKind()
			return req, &gvk, nil
		}
	}
	return decodeReview(body)
}

// onePass reports whether body names each of "object" and "oldObject" at
// most once. A RawExtension keeps the last of two equal keys, while a struct
// decoded twice merges them (maps keep the first one's keys), so a body that
// repeats one is left to decodeReview. A key can hide its name only behind
// a \u00XX escape of an ASCII letter, which the API server never writes: a
// body with one is left to decodeReview too. Both checks are byte searches,
// a small part of one JSON scan; a false alarm costs only the slower path.
func onePass(body []byte) bool {
	if bytes.Count(body, []byte(`"object"`)) > 1 || bytes.Count(body, []byte(`"oldObject"`)) > 1 {
		return false
	}
	for rest := body; ; {
		i := bytes.Index(rest, []byte(`\u00`))
		if i < 0 {
			return true
		}
		rest = rest[i+len(`\u00`):]
		if len(rest) < 2 || asciiLetterEscape(rest[0], rest[1]) {
			return false
		}
	}
}

// asciiLetterEscape reports whether the two hex digits h, l after \u00 name
// an ASCII letter (0x41-0x5a, 0x61-0x7a), in either case of hex digit.
func asciiLetterEscape(h, l byte) bool {
	h |= 0x20 // lower case; digits keep their value
	l |= 0x20
	switch h {
	case '4', '6':
		return l != '0' && (l >= '1' && l <= '9' || l >= 'a' && l <= 'f')
	case '5', '7':
		return l >= '0' && l <= '9' || l == 'a'
	}
	return false
}
