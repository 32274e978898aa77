package webhook

import (
	"context"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"

	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/pullthrough/pullthrough/internal/patch"
)

// Handlers returns the HTTP handler for each path, all reading state and
// bounded by limits (its zero fields are DefaultLimits), with one budget of
// request bytes in flight between them. Each
// reads the review (refusing bodies over controller-runtime's size limit),
// hands it to a controller-runtime admission.Webhook (which copies the UID
// into the answer and recovers a panic as an error response), and answers
// HTTP 200 with an error response, carrying the request's UID when it is
// readable, for anything it cannot read.
func Handlers(state *State, m *Metrics, limits Limits) map[Path]http.Handler {
	log := logf.Log.WithName("admission")
	limits = limits.withDefaults()
	room := newRoom(limits.MaxBytesInFlight)
	handlers := map[Path]http.Handler{}
	for _, p := range []Path{PathMutate, PathAudit, PathAuditUnknownMode} {
		hook := &admission.Webhook{Handler: encodePatch(&PodHandler{State: state, Metrics: m, Path: p, Limits: limits})}
		handlers[p] = &server{webhook: hook, log: log, metrics: m, limits: limits, room: room}
	}
	return handlers
}

// encodePatch writes h's patch operations into the answer's Patch with
// patch.Encode, so that the Webhook's Response.Complete, which encodes
// Patches with json.Marshal otherwise, leaves it as it is: the same bytes
// (TestEncodeAsMarshal), without jsonpatch.Operation's MarshalJSON per
// operation and the second scan encoding/json gives its output, which
// together were a tenth of the server's time on a patched pod
// (docs/performance.md). Should Encode fail, Patches stay for Complete,
// which answers as it always did.
func encodePatch(h admission.Handler) admission.Handler {
	return admission.HandlerFunc(func(ctx context.Context, req admission.Request) admission.Response {
		resp := h.Handle(ctx, req)
		if len(resp.Patches) == 0 {
			return resp
		}
		raw, err := patch.Encode(resp.Patches)
		if err != nil {
			return resp
		}
		jsonPatch := admissionv1.PatchTypeJSONPatch
		resp.Patch, resp.PatchType, resp.Patches = raw, &jsonPatch, nil
		return resp
	})
}
