package webhook

import (
	"net/http"

	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/pullthrough/pullthrough/config"
)

// Handlers returns the HTTP handler for each path, all reading state. Each
// reads the review (refusing bodies over controller-runtime's size limit),
// hands it to a controller-runtime admission.Webhook (which copies the UID
// into the answer and recovers a panic as an error response), and answers
// HTTP 200 with an error response, carrying the request's UID when it is
// readable, for anything it cannot read.
func Handlers(state *State, m *Metrics) map[string]http.Handler {
	log := logf.Log.WithName("admission")
	return map[string]http.Handler{
		PathMutate: &server{webhook: &admission.Webhook{Handler: &PodHandler{State: state, Metrics: m, Mode: config.ModeEnforce}}, log: log},
		PathAudit:  &server{webhook: &admission.Webhook{Handler: &PodHandler{State: state, Metrics: m, Mode: config.ModeAudit}}, log: log},
		PathAuditUnknownMode: &server{webhook: &admission.Webhook{Handler: &PodHandler{
			State: state, Metrics: m, Mode: config.ModeAudit, Notice: WarningUnknownMode}}, log: log},
	}
}
