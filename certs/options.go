package certs

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Flag names of `pullthrough webhook` that fill SelfSignedOptions. They live here so
// that cmd/pullthrough registers the flags under the names the errors quote.
const (
	FlagSecret        = "self-signed-secret"  // NS/NAME of the Secret holding the CA and serving pair
	FlagService       = "self-signed-service" // NS/NAME of the Service the API server calls
	FlagWebhookConfig = "webhook-config"      // name of the MutatingWebhookConfiguration to inject
	FlagCertDir       = "cert-dir"            // directory the webhook server reads tls.crt/tls.key from
)

// invalidOption starts every error about a bad flag, option or argument value; the
// caller (cmd/pullthrough) reports any of them as a usage error.
const invalidOption = "invalid option"

// SelfSignedOptions say where the built-in self-signed mode keeps its certificates and
// whom they serve; every field is required.
type SelfSignedOptions struct {
	// SecretNamespace and SecretName name the Secret every replica shares (--self-signed-secret).
	SecretNamespace string
	SecretName      string
	// ServiceNamespace and ServiceName name the webhook's Service; the serving certificate
	// covers its DNS names (--self-signed-service).
	ServiceNamespace string
	ServiceName      string
	// WebhookConfigName is the MutatingWebhookConfiguration whose every webhook gets the
	// CA as caBundle (--webhook-config).
	WebhookConfigName string
	// CertDir receives tls.crt, tls.key and ca.crt for the webhook server (--cert-dir).
	CertDir string
}

// Validate reports every invalid field at once, each error naming the field, its flag
// and the value, and starting with "invalid option".
func (o SelfSignedOptions) Validate() error {
	checks := []struct {
		field, flag, value string
		check              func(string) []string
	}{
		{"SecretNamespace", FlagSecret, o.SecretNamespace, validation.IsDNS1123Label},
		{"SecretName", FlagSecret, o.SecretName, validation.IsDNS1123Subdomain},
		{"ServiceNamespace", FlagService, o.ServiceNamespace, validation.IsDNS1123Label},
		{"ServiceName", FlagService, o.ServiceName, validation.IsDNS1035Label},
		{"WebhookConfigName", FlagWebhookConfig, o.WebhookConfigName, validation.IsDNS1123Subdomain},
		{"CertDir", FlagCertDir, o.CertDir, nonEmpty},
	}
	var errs []error
	for _, c := range checks {
		if problems := c.check(c.value); len(problems) > 0 {
			errs = append(errs, fmt.Errorf("%s: %s (--%s) %q: %s",
				invalidOption, c.field, c.flag, c.value, strings.Join(problems, "; ")))
		}
	}
	return errors.Join(errs...)
}

// nonEmpty has the shape of the apimachinery validators for fields that only must be set.
func nonEmpty(value string) []string {
	if value == "" {
		return []string{"must be set"}
	}
	return nil
}

// ParseNamespacedName splits a NS/NAME flag value; the parts are validated by
// SelfSignedOptions.Validate, which knows what kind of object each names.
func ParseNamespacedName(flag, value string) (types.NamespacedName, error) {
	namespace, name, ok := strings.Cut(value, "/")
	if !ok || namespace == "" || name == "" || strings.Contains(name, "/") {
		return types.NamespacedName{}, fmt.Errorf("%s: --%s %q: want NAMESPACE/NAME", invalidOption, flag, value)
	}
	return types.NamespacedName{Namespace: namespace, Name: name}, nil
}
