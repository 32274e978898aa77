// Package baseline is the webhook pullthrough's performance is measured
// against: controller-runtime's Pod webhook that does nothing. It decodes the
// review and the Pod, as any typed handler does, and allows it. The
// in-process benchmarks (hack/benchdoc) and the load tool (e2e/load) both
// use it, so their ratios are to the same server.
package baseline

import (
	"context"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// Handler returns the baseline's HTTP handler.
func Handler() http.Handler {
	decoder := admission.NewDecoder(clientgoscheme.Scheme)
	return &admission.Webhook{Handler: admission.HandlerFunc(func(_ context.Context, req admission.Request) admission.Response {
		var pod corev1.Pod
		if err := decoder.Decode(req, &pod); err != nil {
			return admission.Errored(http.StatusBadRequest, err)
		}
		return admission.Allowed("")
	})}
}
