package config

import (
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/pullthrough/pullthrough/rewrite"
)

// PublicRegistries says which registries count as public: an image on one
// of them that no mirror covers is outcome unrouted-public (counted, warned
// about, planned for, and denied under unrouted: deny) instead of no-rule.
type PublicRegistries struct {
	// BuiltIn includes rewrite.DefaultPublicRegistries (default true); false
	// makes Add the whole list.
	BuiltIn *bool `json:"builtIn,omitempty"`
	// Add lists more public registries: hosts (registry.vendor.example) or
	// wildcards over a domain (*.azurecr.io).
	Add []string `json:"add,omitempty"`
	// Remove takes entries off the built-in list; each must be one of its
	// entries, as written there (a registry this cluster reaches some other
	// way).
	Remove []string `json:"remove,omitempty"`
}

// List is the effective list of public registries, in canonical form.
func (p PublicRegistries) List() []string {
	var list []string
	if orDefault(p.BuiltIn, defaultBuiltIn) {
		for _, e := range rewrite.DefaultPublicRegistries {
			if !slices.Contains(p.Remove, e) {
				list = append(list, e)
			}
		}
	}
	return append(list, p.Add...)
}

// Unrouted is what the webhook does with a pod whose image would be pulled
// from a listed public registry that no mirror covers.
type Unrouted string

const (
	// UnroutedWarn admits the pod with a warning: the default, because
	// pullthrough fails open and must never be why a pod does not start.
	UnroutedWarn Unrouted = "warn"
	// UnroutedDeny rejects the pod, on the enforce path only, naming the
	// image and the mirror it lacks. A deliberate departure from failing
	// open, for a cluster whose audit shows no such image any more.
	UnroutedDeny Unrouted = "deny"
)

func validatePublicRegistries(p PublicRegistries, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, e := range p.Add {
		if _, err := rewrite.ParsePublicRegistry(e); err != nil {
			errs = append(errs, field.Invalid(fld.Child("add").Index(i), e, err.Error()))
		}
	}
	for i, e := range p.Remove {
		if !slices.Contains(rewrite.DefaultPublicRegistries, e) {
			errs = append(errs, field.NotSupported(fld.Child("remove").Index(i), e, rewrite.DefaultPublicRegistries))
		}
	}
	return errs
}
