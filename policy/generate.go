package policy

import (
	"bytes"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"sigs.k8s.io/yaml"

	"github.com/pullthrough/pullthrough/config"
)

// managedBy marks every generated object, so that they can be listed and
// pruned together (Apply, kubectl apply --prune -l).
var managedBy = map[string]string{"app.kubernetes.io/managed-by": FieldManager}

// Set is the admission policies and bindings that implement a config.
type Set struct {
	// Mutating rewrites images on the enforce path; empty in audit mode,
	// where nothing is rewritten.
	Mutating []*admissionregistrationv1.MutatingAdmissionPolicy
	// MutatingBindings bind Mutating to the enforce namespaces.
	MutatingBindings []*admissionregistrationv1.MutatingAdmissionPolicyBinding
	// Validating warn on the audit path, warn about or deny unrouted public
	// images on the enforce path and, if asked for, guard the final state.
	Validating []*admissionregistrationv1.ValidatingAdmissionPolicy
	// ValidatingBindings bind Validating to their namespaces and actions.
	ValidatingBindings []*admissionregistrationv1.ValidatingAdmissionPolicyBinding
}

// Options are the choices a config does not make.
type Options struct {
	// Guard adds the final-state guard (GuardWarn, GuardDeny); "" or GuardOff
	// leaves it out.
	Guard Guard
}

// generator holds a config compiled for CEL.
type generator struct {
	rules       *rules
	namespaces  string // anchored RE2 of exclude.namespaces; "" for none
	pullSecrets []string
}

// Generate compiles cfg into admission policies. A config the policies
// cannot implement exactly is refused with an error that names the rule
// ("cannot be expressed exactly in an admission policy"); no partial Set is
// returned.
func Generate(cfg *config.Config, opts Options) (*Set, error) {
	r, err := compileRules(cfg.Rules())
	if err != nil {
		return nil, err
	}
	ns, err := anyGlob(cfg.Exclude.Namespaces, true)
	if err != nil {
		return nil, fmt.Errorf("exclude.namespaces: %w", err)
	}
	g := &generator{rules: r, namespaces: ns, pullSecrets: dedupe(cfg.ImagePullSecrets)}
	set := &Set{}
	if cfg.Mode == config.ModeEnforce {
		set.Mutating = append(set.Mutating, g.mutatingPolicy())
		set.MutatingBindings = mutatingBindings()
	}
	if opts.Guard == "" {
		opts.Guard = GuardOff
	}
	set.Validating, set.ValidatingBindings = g.validatingPolicies(cfg, opts.Guard)
	return set, nil
}

// YAML writes the set as a multi-document YAML stream, policies before
// their bindings so that kubectl apply creates them in that order.
func (s *Set) YAML() ([]byte, error) {
	var buf bytes.Buffer
	for _, objs := range s.objects() {
		for _, o := range objs {
			y, err := yaml.Marshal(o)
			if err != nil {
				return nil, fmt.Errorf("encode %s: %w", o.GetObjectKind().GroupVersionKind().Kind, err)
			}
			if buf.Len() > 0 {
				buf.WriteString("---\n")
			}
			buf.Write(y)
		}
	}
	return buf.Bytes(), nil
}
