package webhook

import (
	"context"
	"errors"

	corev1 "k8s.io/api/core/v1"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/pullthrough/pullthrough/rewrite"
)

// NamespaceLabels gives the labels of a namespace, which a config with a
// namespaceSelector routes by; internal/namespaces.Watch is the one the
// binary runs.
type NamespaceLabels interface {
	Labels(ctx context.Context, name string) (map[string]string, error)
}

// SetNamespaceLabels gives the state where to read namespaces' labels; call
// it before serving. The binary sets it when the config it starts with has
// a namespaceSelector; without it, a reloaded config with a selector is
// rejected (the previous one keeps serving) until a restart.
func (s *State) SetNamespaceLabels(n NamespaceLabels) { s.namespaces = n }

// errNoNamespaceWatch: the config selects by labels, but the process was
// started without a way to read them.
var errNoNamespaceWatch = errors.New("a mirror has a namespaceSelector, but the webhook was started with a config without one and watches no namespaces: restart it to route by namespace labels")

// labels reads the labels of namespace ns.
func (s *State) labels(ctx context.Context, ns string) (map[string]string, error) {
	if s.namespaces == nil {
		return nil, errNoNamespaceWatch
	}
	return s.namespaces.Labels(ctx, ns)
}

// inNamespace is rw as it routes in the request's namespace ns
// (rewrite.Rewriter.In): the scoped mirrors that select ns apply. Labels
// are read only when a mirror has a namespaceSelector. A namespace whose
// labels cannot be read (not in the cache, and the GET failed within its
// budget) routes as one with no labels but its name, so the pod is still
// decided: the error is logged and counted as an internal error.
func (h *PodHandler) inNamespace(ctx context.Context, routing *Routing, rw *rewrite.Rewriter, ns string) *rewrite.Rewriter {
	if !routing.scoped {
		return rw
	}
	labels := map[string]string{corev1.LabelMetadataName: ns}
	if routing.byLabels {
		got, err := h.State.labels(ctx, ns)
		if err != nil {
			logf.FromContext(ctx).Error(err, "cannot read the namespace's labels; routing as if it had none", "namespace", ns)
			h.Metrics.internalErrors.Inc()
		} else {
			labels = got
		}
	}
	return rw.In(ns, labels)
}
