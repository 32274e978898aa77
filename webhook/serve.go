package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	admissionv1beta1 "k8s.io/api/admission/v1beta1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	sigsjson "sigs.k8s.io/json"
)

// maxReviewBytes is controller-runtime's request limit: two objects of at
// most 3 MiB (etcd's request size, twice for JSON) and 1 MiB for the rest.
const maxReviewBytes = 7 << 20

// reviewCodecs decode both AdmissionReview versions, as controller-runtime does.
var reviewCodecs = func() serializer.CodecFactory {
	s := runtime.NewScheme()
	utilruntime.Must(admissionv1.AddToScheme(s))
	utilruntime.Must(admissionv1beta1.AddToScheme(s))
	return serializer.NewCodecFactory(s)
}()

// server reads AdmissionReviews over HTTP for an admission.Webhook and writes
// its answers, like the Webhook's own ServeHTTP, with one difference: a
// review that does not decode is still answered with its request.uid when
// that much is readable. The API server compares the answer's UID with its
// request and treats a mismatch as a failed call, so the UID turns "webhook
// broken" into the error response the failurePolicy is meant to judge.
type server struct {
	webhook *admission.Webhook
	log     logr.Logger
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, code, err := readReview(r)
	if err != nil {
		s.write(w, errorResponse(code, err, body), nil)
		return
	}
	req, gvk, err := decodeReview(body)
	if err != nil {
		s.write(w, errorResponse(http.StatusBadRequest, err, body), nil)
		return
	}
	s.write(w, s.webhook.Handle(r.Context(), req), gvk)
}

// decodeReview reads an AdmissionReview in one pass over body. The API server
// sends JSON with apiVersion and kind first-class, so the universal
// deserializer's extra pass to find them (a whole encoding/json scan of both
// objects) is spent only on what this pass cannot read: anything else goes
// to that deserializer, whose answer, and error, are controller-runtime's.
func decodeReview(body []byte) (admission.Request, *schema.GroupVersionKind, error) {
	req := admission.Request{}
	ar := unversionedReview{}
	ar.Request = &req.AdmissionRequest
	if sigsjson.UnmarshalCaseSensitivePreserveInts(body, &ar) == nil && ar.Kind == "AdmissionReview" &&
		(ar.APIVersion == admissionv1.SchemeGroupVersion.String() || ar.APIVersion == admissionv1beta1.SchemeGroupVersion.String()) {
		gvk := ar.GroupVersionKind()
		return req, &gvk, nil
	}
	req = admission.Request{}
	ar = unversionedReview{}
	ar.Request = &req.AdmissionRequest
	ar.SetGroupVersionKind(admissionv1.SchemeGroupVersion.WithKind("AdmissionReview"))
	_, gvk, err := reviewCodecs.UniversalDeserializer().Decode(body, nil, &ar)
	return req, gvk, err
}

// readReview reads the body of an admission call, refusing what the API
// server never sends: another content type, an empty or oversized body. The
// code is the HTTP status the error response carries.
func readReview(r *http.Request) ([]byte, int32, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, http.StatusBadRequest, errors.New("request body is empty")
	}
	defer func() { _ = r.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(r.Body, maxReviewBytes+1))
	switch {
	case err != nil:
		return nil, http.StatusBadRequest, fmt.Errorf("read request body: %w", err)
	case len(body) > maxReviewBytes:
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("request body over the limit of %d bytes", maxReviewBytes)
	case r.Header.Get("Content-Type") != "application/json":
		return body, http.StatusBadRequest, fmt.Errorf("content type %q, want application/json", r.Header.Get("Content-Type"))
	}
	return body, 0, nil
}

// errorResponse answers a review that could not be read, with the UID of
// its request if body has a readable one.
func errorResponse(code int32, err error, body []byte) admission.Response {
	resp := admission.Errored(code, err)
	resp.UID = requestUID(body)
	return resp
}

// requestUID reads request.uid alone, case-sensitively as the full decode
// does, and ignores whatever else in the body is wrong: a field of the wrong
// type is skipped, not fatal, for this decoder. Empty if unreadable.
func requestUID(body []byte) types.UID {
	var review struct {
		Request struct {
			UID *string `json:"uid"`
		} `json:"request"`
	}
	_ = sigsjson.UnmarshalCaseSensitivePreserveInts(body, &review) // best effort by design
	if review.Request.UID == nil {
		return ""
	}
	return types.UID(*review.Request.UID)
}

// write encodes the answer in the version of the request (v1 when unknown).
func (s *server) write(w http.ResponseWriter, resp admission.Response, gvk *schema.GroupVersionKind) {
	review := admissionv1.AdmissionReview{Response: &resp.AdmissionResponse}
	if gvk == nil || gvk.Empty() {
		review.SetGroupVersionKind(admissionv1.SchemeGroupVersion.WithKind("AdmissionReview"))
	} else {
		review.SetGroupVersionKind(*gvk)
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(review); err != nil {
		s.log.Error(err, "cannot write the admission response", "uid", resp.UID)
	}
}

// unversionedReview decodes a v1 or v1beta1 AdmissionReview into the v1
// type (the two are identical), as controller-runtime does.
type unversionedReview struct {
	admissionv1.AdmissionReview
}

// DeepCopyObject satisfies runtime.Object; the decoder never copies.
func (r *unversionedReview) DeepCopyObject() runtime.Object {
	c := *r
	return &c
}
