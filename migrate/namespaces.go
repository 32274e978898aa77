package migrate

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/pullthrough/pullthrough/rewrite"
)

// LabelMode is the namespace label that says what pullthrough does in a
// namespace. The chart's webhook configuration routes pods by it (its
// namespaceSelector), and the migrator reads it, so that both leave the same
// namespaces alone.
const LabelMode = "pullthrough.dev/mode"

// The values of LabelMode, as the chart's namespaceSelectors route them. No
// label is enforce; any other value (Audit, audti, disabled) is audit, so that
// a typo never enforces, and is reported.
const (
	// ModeEnforce: the images are migrated (also: no label).
	ModeEnforce = "enforce"
	// ModeOff: nothing may change; the migrator gives every value outcome
	// excluded-namespace, as for exclude.namespaces.
	ModeOff = "off"
	// ModeAudit: images must not change; the migrator shows each rewrite
	// with outcome audit and patches nothing.
	ModeAudit = "audit"
)

// nsMode is what the migrator does in one namespace.
type nsMode int

const (
	nsEnforce nsMode = iota
	nsAudit
	nsOff
	// nsUnknown: the namespace was not there when the run read the
	// namespaces, so its label is not known; its objects fail.
	nsUnknown
)

// modeOf reads a namespace's LabelMode exactly as the chart's selectors do:
// absent or "enforce" is enforce, "off" off, "audit" audit, and any other
// value audit, with known false so that the run reports it.
func modeOf(labels map[string]string) (mode nsMode, known bool) {
	value, ok := labels[LabelMode]
	switch {
	case !ok || value == ModeEnforce:
		return nsEnforce, true
	case value == ModeOff:
		return nsOff, true
	case value == ModeAudit:
		return nsAudit, true
	}
	return nsAudit, false
}

// namespaceModes holds the mode of every namespace a run covers, read once
// at the start of the run.
type namespaceModes map[string]nsMode

// of returns the mode of namespace ns; a cluster-scoped object ("") is
// enforced.
func (n namespaceModes) of(ns string) nsMode {
	if ns == "" {
		return nsEnforce
	}
	mode, ok := n[ns]
	if !ok {
		return nsUnknown
	}
	return mode
}

var namespacesGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}

// readNamespaceModes reads the LabelMode of the namespaces the run covers:
// each -n namespace with a get (which a RoleBinding in that namespace
// permits), or every namespace with one paged list. A namespace that does not
// exist has no objects to list and is left out. Any other error fails the
// run: a namespace whose label cannot be read must not be taken for enforce.
// A label value that is not a mode comes back as a warning for the report.
func (m *Migrator) readNamespaceModes(ctx context.Context) (namespaceModes, []string, error) {
	modes := namespaceModes{}
	var warnings []string
	add := func(u *unstructured.Unstructured) {
		mode, known := modeOf(u.GetLabels())
		modes[u.GetName()] = mode
		if !known {
			warnings = append(warnings, fmt.Sprintf("namespace %s: label %s=%q is not %s, %s or %s; treated as %s (nothing is patched there)",
				u.GetName(), LabelMode, u.GetLabels()[LabelMode], ModeEnforce, ModeAudit, ModeOff, ModeAudit))
		}
	}
	if len(m.opts.Namespaces) == 0 {
		s := &source{origin: "namespaces", gvr: namespacesGVR, kind: "Namespace"}
		if err := m.list(ctx, s, add); err != nil {
			return nil, nil, fmt.Errorf("read the %s label of the namespaces: %w", LabelMode, err)
		}
		return modes, warnings, nil
	}
	for _, ns := range m.opts.Namespaces {
		u, err := m.client.Resource(namespacesGVR).Get(ctx, ns, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return nil, nil, fmt.Errorf("read the %s label of namespace %s: %w", LabelMode, ns, err)
		}
		add(u)
	}
	return modes, warnings, nil
}

// routing picks how the values of an object in namespace ns are decided:
// with the config's rewriter, withholding every rewrite (audit), or not at
// all (excluded: exclude.namespaces, or mode off). Cluster-scoped objects
// ("") are always decided with the config's rewriter.
func (m *Migrator) routing(ns string, mode nsMode) (rw *rewrite.Rewriter, excluded bool, err error) {
	switch {
	case ns == "":
		return m.rw, false, nil
	case m.rw.NamespaceExcluded(ns) || mode == nsOff:
		return m.rw, true, nil
	case mode == nsUnknown:
		return nil, false, fmt.Errorf("namespace %s was created after the run read the %s labels; run again", ns, LabelMode)
	case mode == nsAudit:
		return m.audit, false, nil
	}
	return m.rw, false, nil
}

// shown is the value a row shows as New: the rewrite when it is applied, the
// proposal when it is withheld (audit), the value as found otherwise.
func shown(res rewrite.Result) string {
	if res.Outcome == rewrite.OutcomeAudit && res.Proposed != "" {
		return res.Proposed
	}
	return res.Image
}
