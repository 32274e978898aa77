package webhook

import (
	"net/http"

	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/pullthrough/pullthrough/config"
)

// Handlers returns the HTTP handler for each path, all reading state. The
// controller-runtime admission.Webhook in front of each decodes the review,
// refuses bodies over its size limit, copies the UID into the answer, and
// answers HTTP 200 with an error response for anything it cannot read.
func Handlers(state *State, m *Metrics) map[string]http.Handler {
	return map[string]http.Handler{
		PathMutate: &admission.Webhook{Handler: &PodHandler{State: state, Metrics: m, Mode: config.ModeEnforce}},
		PathAudit:  &admission.Webhook{Handler: &PodHandler{State: state, Metrics: m, Mode: config.ModeAudit}},
		PathAuditUnknownMode: &admission.Webhook{Handler: &PodHandler{
			State: state, Metrics: m, Mode: config.ModeAudit, Notice: WarningUnknownMode}},
	}
}
