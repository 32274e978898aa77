package webhook

import (
	"net/http"

	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
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
		hook := &admission.Webhook{Handler: &PodHandler{State: state, Metrics: m, Path: p, Limits: limits}}
		handlers[p] = &server{webhook: hook, log: log, metrics: m, limits: limits, room: room}
	}
	return handlers
}
