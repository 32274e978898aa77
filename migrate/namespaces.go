package migrate

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/internal/namespaces"
	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

// namespaceModes holds the mode of every namespace a forward run covers,
// as config.ModeOf reads its label, read once at the start of the run.
type namespaceModes map[string]config.Mode

// namespaceLabels holds the labels of every namespace a run covers, which
// scoped mirrors select by; read only when the config has one.
type namespaceLabels map[string]map[string]string

// in is rw as it routes in namespace ns (rewrite.Rewriter.In); rw itself
// for a cluster-scoped object. A namespace the run did not read routes by
// its name alone.
func (l namespaceLabels) in(rw *rewrite.Rewriter, ns string) *rewrite.Rewriter {
	if ns == "" {
		return rw
	}
	labels, ok := l[ns]
	if !ok {
		labels = namespaces.LabelsOf(ns, nil)
	}
	return rw.In(ns, labels)
}

// readNamespaceModes reads the wellknown.LabelMode (and all the labels, for
// scoped mirrors) of the namespaces the run covers:
// each -n namespace with a get (which a RoleBinding in that namespace
// permits), or every namespace with one paged list. A namespace that does not
// exist has no objects to list and is left out. Any other error fails the
// run: a namespace whose label cannot be read must not be taken for enforce.
// A label value that is not a mode comes back as a warning for the report.
func (m *Migrator) readNamespaceModes(ctx context.Context) (namespaceModes, namespaceLabels, []string, error) {
	modes := namespaceModes{}
	labels := namespaceLabels{}
	var warnings []string
	add := func(u *unstructured.Unstructured) {
		labels[u.GetName()] = namespaces.LabelsOf(u.GetName(), u.GetLabels())
		mode, known := config.ModeOf(u.GetLabels())
		modes[u.GetName()] = mode
		if !known {
			warnings = append(warnings, fmt.Sprintf("namespace %s: label %s=%q is not %s, %s or %s; treated as %s (nothing is patched there)",
				u.GetName(), wellknown.LabelMode, u.GetLabels()[wellknown.LabelMode], config.ModeEnforce, config.ModeAudit, config.ModeOff, config.ModeAudit))
		}
	}
	if len(m.opts.Namespaces) == 0 {
		s := &source{origin: "namespaces", gvr: namespaces.GVR, kind: "Namespace"}
		if err := m.list(ctx, s, add); err != nil {
			return nil, nil, nil, fmt.Errorf("read the %s label of the namespaces: %w", wellknown.LabelMode, err)
		}
		return modes, labels, warnings, nil
	}
	for _, ns := range m.opts.Namespaces {
		u, err := m.client.Resource(namespaces.GVR).Get(ctx, ns, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return nil, nil, nil, fmt.Errorf("read the %s label of namespace %s: %w", wellknown.LabelMode, ns, err)
		}
		add(u)
	}
	return modes, labels, warnings, nil
}

// shown is the value a row shows as New: the rewrite when it is applied, the
// proposal when it is withheld (audit), the value as found otherwise.
func shown(res rewrite.Result) string {
	if res.Outcome == rewrite.OutcomeAudit && res.Proposed != "" {
		return res.Proposed
	}
	return res.Image
}
