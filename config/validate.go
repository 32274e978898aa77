package config

import (
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/pullthrough/pullthrough/rewrite"
)

// Validate checks the whole config and reports every problem at once, each
// naming its field path and value (mirrors[1].target: Invalid value: ...).
func (c *Config) Validate() error {
	var errs field.ErrorList
	errs = append(errs, validateMirrors(c.Mirrors, field.NewPath("mirrors"))...)
	for i, g := range c.Exclude.Images {
		if _, err := rewrite.ParseImageGlob(g); err != nil {
			errs = append(errs, field.Invalid(field.NewPath("exclude", "images").Index(i), g, err.Error()))
		}
	}
	errs = append(errs, validateGlobs(c.Exclude.Namespaces, field.NewPath("exclude", "namespaces"))...)
	if c.Mode != ModeEnforce && c.Mode != ModeAudit {
		// ModeOff is a namespace's choice; a config that changes nothing
		// anywhere is an uninstall.
		errs = append(errs, field.NotSupported(field.NewPath("mode"), c.Mode, []Mode{ModeEnforce, ModeAudit}))
	}
	for i, s := range c.ImagePullSecrets {
		// The webhook writes these into pods: a name the API server would
		// refuse there fails every pod it patches, so it is refused here.
		if s == "" {
			errs = append(errs, field.Required(field.NewPath("imagePullSecrets").Index(i), "a Secret name"))
		} else if msgs := validation.IsDNS1123Subdomain(s); len(msgs) > 0 {
			errs = append(errs, field.Invalid(field.NewPath("imagePullSecrets").Index(i), s, "not a Secret name: "+strings.Join(msgs, "; ")))
		}
	}
	if c.ProxyHealth != nil {
		errs = append(errs, validateProxyHealth(c.ProxyHealth, field.NewPath("proxyHealth"))...)
	}
	errs = append(errs, validateMigrate(c.Migrate, field.NewPath("migrate"))...)
	errs = append(errs, c.Node.validate(field.NewPath("node"))...)
	errs = append(errs, validatePublicRegistries(c.PublicRegistries, field.NewPath("publicRegistries"))...)
	if c.Unrouted != UnroutedWarn && c.Unrouted != UnroutedDeny {
		errs = append(errs, field.NotSupported(field.NewPath("unrouted"), c.Unrouted, []Unrouted{UnroutedWarn, UnroutedDeny}))
	}
	errs = append(errs, c.ServedCheck.withDefaults().validate(field.NewPath("servedCheck"))...)
	return errs.ToAggregate()
}

// validate checks the served check's settings, defaulted.
func (s ServedCheck) validate(fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, d := range []struct {
		name string
		val  time.Duration
	}{{"budget", s.Budget.Duration}, {"servedTTL", s.ServedTTL.Duration}, {"notServedTTL", s.NotServedTTL.Duration}, {"checkTimeout", s.CheckTimeout.Duration}} {
		if d.val < 0 {
			errs = append(errs, field.Invalid(fld.Child(d.name), d.val.String(), "must be positive"))
		}
	}
	if s.Budget.Duration > maxServedBudget {
		// The API server gives the webhook timeoutSeconds (5) for the whole
		// request: a budget near it would turn a slow proxy into timed-out
		// admissions, which failurePolicy Ignore admits unrewritten anyway.
		errs = append(errs, field.Invalid(fld.Child("budget"), s.Budget.Duration.String(), "must be at most "+maxServedBudget.String()+", well inside the webhook's timeoutSeconds"))
	}
	if s.MaxEntries < 0 {
		errs = append(errs, field.Invalid(fld.Child("maxEntries"), s.MaxEntries, "must be positive"))
	}
	if s.OnTimeout != ServedOnTimeoutDirect && s.OnTimeout != ServedOnTimeoutRewrite {
		errs = append(errs, field.NotSupported(fld.Child("onTimeout"), s.OnTimeout, []ServedOnTimeout{ServedOnTimeoutDirect, ServedOnTimeoutRewrite}))
	}
	return errs
}

// maxServedBudget is the longest servedCheck.budget accepted: half of the
// chart's timeoutSeconds (5), leaving the rest for the request itself.
const maxServedBudget = 2500 * time.Millisecond

// validateMirrors checks each prefix, duplicate sources, and the two ways a
// set of mirrors can contradict itself: a target that a source matches
// (rewriting would loop) and a source under a target (it could never match,
// because already-proxied images are left alone first).
func validateMirrors(mirrors []rewrite.Mirror, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(mirrors) == 0 {
		errs = append(errs, field.Required(fld, "at least one source -> target mirror"))
	}
	seen := map[string]int{} // unscoped sources; a scoped mirror may share one
	for i, m := range mirrors {
		if m.Scoped() {
			errs = append(errs, validateScope(m, fld.Index(i))...)
		}
		source, err := rewrite.ParsePrefix(m.Source)
		switch {
		case err != nil:
			errs = append(errs, field.Invalid(fld.Index(i).Child("source"), m.Source, err.Error()))
		case m.Scoped():
			// A scoped mirror may share its source with another mirror.
		default:
			if j, dup := seen[source]; dup {
				errs = append(errs, field.Duplicate(fld.Index(i).Child("source"), fmt.Sprintf("%s (same as mirrors[%d].source)", m.Source, j)))
			} else {
				seen[source] = i
			}
		}
		if _, err := rewrite.ParsePrefix(m.Target); err != nil {
			errs = append(errs, field.Invalid(fld.Index(i).Child("target"), m.Target, err.Error()))
		}
	}
	for _, c := range rewrite.Conflicts(mirrors) {
		errs = append(errs, field.Invalid(fld.Index(c.Index).Child(c.Field), c.Value, c.Detail))
	}
	return errs
}

// validateScope checks a scoped mirror's namespaces globs and its
// namespaceSelector, the latter with the API server's own parser.
func validateScope(m rewrite.Mirror, fld *field.Path) field.ErrorList {
	errs := validateGlobs(m.Namespaces, fld.Child("namespaces"))
	if m.NamespaceSelector != nil {
		p := fld.Child("namespaceSelector")
		if _, err := metav1.LabelSelectorAsSelector(LabelSelector(m.NamespaceSelector)); err != nil {
			errs = append(errs, field.Invalid(p, m.NamespaceSelector, err.Error()))
		}
	}
	return errs
}

// validateGlobs rejects empty and malformed path.Match patterns.
func validateGlobs(globs []string, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, g := range globs {
		if _, err := path.Match(g, ""); err != nil || g == "" {
			errs = append(errs, field.Invalid(fld.Index(i), g, "not a valid glob (path.Match syntax)"))
		}
	}
	return errs
}

func validateProxyHealth(h *ProxyHealth, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	u, err := url.Parse(h.URL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		errs = append(errs, field.Invalid(fld.Child("url"), h.URL, "must be an http(s) URL such as https://proxy.example.internal/v2/"))
	case u.User != nil:
		// The URL is logged and shown in errors; credentials in it would be
		// too. The value named here is the URL with them blanked.
		redacted := *u
		redacted.User = url.User("REDACTED")
		errs = append(errs, field.Invalid(fld.Child("url"), redacted.String(), "must not carry credentials (user:password@): the probe needs none, a 401 counts as up"))
	}
	if h.Interval.Duration < 0 {
		errs = append(errs, field.Invalid(fld.Child("interval"), h.Interval.Duration.String(), "must be positive"))
	}
	if h.FailureThreshold < 0 {
		errs = append(errs, field.Invalid(fld.Child("failureThreshold"), h.FailureThreshold, "must be positive"))
	}
	if h.SuccessThreshold < 0 {
		errs = append(errs, field.Invalid(fld.Child("successThreshold"), h.SuccessThreshold, "must be positive"))
	}
	return errs
}

func validateMigrate(m MigrateTargets, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, t := range m.ConfigMaps {
		p := fld.Child("configMaps").Index(i)
		if t.Namespace == "" {
			errs = append(errs, field.Required(p.Child("namespace"), "ConfigMaps are selected within one namespace"))
		}
		if (t.Name == "") == (t.Selector == "") {
			errs = append(errs, field.Invalid(p, t.Name+t.Selector, "set exactly one of name and selector"))
		}
		if t.Selector != "" {
			if _, err := labels.Parse(t.Selector); err != nil {
				errs = append(errs, field.Invalid(p.Child("selector"), t.Selector, err.Error()))
			}
		}
	}
	for i, t := range m.Fields {
		p := fld.Child("fields").Index(i)
		if t.Version == "" {
			errs = append(errs, field.Required(p.Child("version"), "the API version, e.g. v1"))
		}
		if t.Resource == "" {
			errs = append(errs, field.Required(p.Child("resource"), "the plural resource name, e.g. installations"))
		}
		if t.Path == "" || strings.HasPrefix(t.Path, ".") || strings.HasSuffix(t.Path, ".") || strings.Contains(t.Path, "..") {
			errs = append(errs, field.Invalid(p.Child("path"), t.Path, "must be a dotted field path such as spec.registry"))
		}
		if t.Unset != "" && t.Value == FieldRegistry {
			if _, err := rewrite.ParsePrefix(t.Unset); err != nil {
				errs = append(errs, field.Invalid(p.Child("unset"), t.Unset, err.Error()))
			}
		}
		if t.Value != FieldImage && t.Value != FieldRegistry {
			errs = append(errs, field.NotSupported(p.Child("value"), t.Value, []FieldValue{FieldImage, FieldRegistry}))
		}
	}
	return errs
}
