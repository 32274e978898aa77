package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	admissionv1beta1 "k8s.io/api/admission/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
// its answers, like the Webhook's own ServeHTTP, with two differences. A
// review that does not decode is still answered with its request.uid when
// that much is readable: the API server compares the answer's UID with its
// request and treats a mismatch as a failed call, so the UID turns "webhook
// broken" into the error response the failurePolicy is meant to judge. And
// the work is bounded (Limits): a body is read only when the bytes in flight
// leave room for it, within ReadTimeout, and answered within HandlerTimeout.
type server struct {
	webhook *admission.Webhook
	log     logr.Logger
	metrics *Metrics
	limits  Limits
	room    *room
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	s.setDeadlines(w, r, start)
	// At most half the read timeout is spent waiting, so that the body of a
	// request let in still has the other half to arrive.
	release, err := s.room.take(r, start.Add(s.limits.ReadTimeout/2))
	if err != nil {
		// No body read, no UID known: a plain HTTP error, which the API
		// server's client retries after Retry-After within its own timeout,
		// and past that failurePolicy judges (docs/decisions.md).
		s.log.Info("refused an admission request: no room for its body", "remote", r.RemoteAddr, "error", err.Error())
		s.metrics.observeRequest(operationOther, resultOverloaded, time.Since(start))
		w.Header().Set("Retry-After", "1")
		http.Error(w, err.Error(), http.StatusTooManyRequests)
		return
	}
	defer release()
	buf := bodies.Get().(*bytes.Buffer)
	defer recycleBody(buf)
	body, code, err := readReview(r, buf)
	if err != nil {
		s.reject(w, errorResponse(code, err, body), start)
		return
	}
	req, gvk, err := decodePodReview(body)
	if err != nil {
		s.reject(w, errorResponse(http.StatusBadRequest, err, body), start)
		return
	}
	ctx, cancel := context.WithDeadline(r.Context(), start.Add(s.limits.HandlerTimeout))
	defer cancel()
	s.write(w, s.webhook.Handle(ctx, req), gvk)
}

// setDeadlines bounds the connection's reads by ReadTimeout and its writes
// by HandlerTimeout from start: controller-runtime's server sets only a
// header timeout, so without them a body sent a byte a minute, or an answer
// never read, holds its connection and its memory for ever.
func (s *server) setDeadlines(w http.ResponseWriter, r *http.Request, start time.Time) {
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(start.Add(s.limits.ReadTimeout)); err != nil {
		s.log.Error(err, "cannot bound the time to read the request", "remote", r.RemoteAddr)
		s.metrics.internalErrors.Inc()
	}
	if err := rc.SetWriteDeadline(start.Add(s.limits.HandlerTimeout)); err != nil {
		s.log.Error(err, "cannot bound the time to write the answer", "remote", r.RemoteAddr)
		s.metrics.internalErrors.Inc()
	}
}

// reject answers a review that could not be read, logs and counts it.
func (s *server) reject(w http.ResponseWriter, resp admission.Response, start time.Time) {
	s.log.Info("rejected an unreadable admission request", "uid", resp.UID, "error", resp.Result.Message)
	s.metrics.observeRequest(operationOther, resultRejected, time.Since(start))
	s.write(w, resp, nil)
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
	if sigsjson.UnmarshalCaseSensitivePreserveInts(body, &ar) == nil && firstClass(ar.TypeMeta) {
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

// maxPooledBody is the largest body buffer kept for the next request: a
// pod with sidecars, env and managedFields is 5 to 30 KB; a larger buffer
// goes to the garbage collector rather than hold its memory between calls.
const maxPooledBody = 64 << 10

// bodies recycles the buffers request bodies are read into: one per request
// was most of the server's garbage once the body was read in one allocation
// (docs/performance.md). A buffer goes back when its request is answered;
// nothing decoded from a body keeps a slice of it (the decoders copy every
// string and RawExtension: checkOnePass overwrites the body after decoding
// and compares).
var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// recycleBody gives buf back to bodies unless it grew past maxPooledBody.
func recycleBody(buf *bytes.Buffer) {
	if buf.Cap() > maxPooledBody {
		return
	}
	buf.Reset()
	bodies.Put(buf)
}

// readReview reads the body of an admission call into buf, refusing what
// the API server never sends: another content type, an empty or oversized
// body. The code is the HTTP status the error response carries. The body
// returned is buf's: valid until buf is reused.
func readReview(r *http.Request, buf *bytes.Buffer) ([]byte, int32, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, http.StatusBadRequest, errors.New("request body is empty")
	}
	defer func() { _ = r.Body.Close() }()
	// Sized by Content-Length (the room taken for it), so the body is read
	// into one allocation at most: io.ReadAll's doubling from 512 bytes
	// allocated twice a typical pod's size and was half of the server's
	// garbage.
	if n := r.ContentLength; n > 0 && n <= maxReviewBytes {
		buf.Grow(int(n) + bytes.MinRead) // ReadFrom wants MinRead free to see the end
	}
	_, err := buf.ReadFrom(io.LimitReader(r.Body, maxReviewBytes+1))
	body := buf.Bytes()
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

// firstClass reports whether a review's type is one the API server sends,
// an AdmissionReview of admission.k8s.io/v1 or v1beta1, which the one-pass
// decodes read without the universal deserializer.
func firstClass(t metav1.TypeMeta) bool {
	return t.Kind == "AdmissionReview" && (t.APIVersion == reviewV1 || t.APIVersion == reviewV1beta1)
}

// The apiVersions firstClass accepts, built once rather than per request.
var (
	reviewV1      = admissionv1.SchemeGroupVersion.String()
	reviewV1beta1 = admissionv1beta1.SchemeGroupVersion.String()
)

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
