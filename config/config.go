package config

import (
	"errors"
	"fmt"
	"os"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/pullthrough/pullthrough/rewrite"
)

// Config is the whole pullthrough configuration, shared by the webhook, the
// migrator and the CLI so that all three route an image the same way.
type Config struct {
	// Mirrors route sources to targets; the longest matching source wins,
	// and at equal length a scoped mirror (namespaces, namespaceSelector)
	// that selects the namespace beats an unscoped one. Required: at least
	// one; unscoped sources unique; no two scoped mirrors for one source whose
	// namespaces globs can match one name; no target under a source (a
	// rewrite would loop) and no source under a target (it could never match).
	Mirrors []rewrite.Mirror `json:"mirrors"`
	// Exclude leaves some images and namespaces alone.
	Exclude Exclude `json:"exclude,omitempty"`
	// Mode is enforce (default) or audit; a namespace's wellknown.LabelMode can only
	// narrow it. off is a namespace label value only, not a config mode.
	Mode Mode `json:"mode,omitempty"`
	// ImagePullSecrets are added to a pod when one of its images was
	// rewritten, so the kubelet can authenticate to the proxy. Secret names
	// (DNS-1123 subdomains); each must exist in every namespace whose pods
	// are rewritten: the webhook's --check-pull-secrets leaves a pod's images
	// as written (outcome no-pull-secret) where one is missing, and
	// --replicate-pull-secret copies one into those namespaces.
	ImagePullSecrets []string `json:"imagePullSecrets,omitempty"`
	// ProxyHealth, when set, stops rewriting while the proxy is down.
	ProxyHealth *ProxyHealth `json:"proxyHealth,omitempty"`
	// Migrate names the extra objects `pullthrough migrate` may edit.
	Migrate MigrateTargets `json:"migrate,omitempty"`
	// Node shapes the containerd registry host files `pullthrough nodeconfig`
	// writes from the mirrors.
	Node Node `json:"node,omitempty"`
	// PublicRegistries extends or replaces the built-in list of public
	// registries, whose images no mirror covers are unrouted-public.
	PublicRegistries PublicRegistries `json:"publicRegistries,omitempty"`
	// Unrouted is warn (default) or deny: what the webhook's enforce path
	// does with a pod that has an unrouted-public image.
	Unrouted Unrouted `json:"unrouted,omitempty"`
	// ServedCheck makes the webhook ask the proxy, before rewriting an image,
	// whether it serves the rewritten reference (on by default).
	ServedCheck ServedCheck `json:"servedCheck,omitempty"`
}

// ServedCheck configures the webhook's per-reference verdicts: before an
// image is pointed at the proxy, the proxy must serve the rewritten
// reference (a manifest HEAD, as `pullthrough verify` sends), or the image is
// left as written (outcome not-served). Verdicts are cached; a reference not
// yet known is asked within Budget.
type ServedCheck struct {
	// Enabled turns the check on (default true). Off, every rewrite is
	// applied without asking, as before the check existed.
	Enabled *bool `json:"enabled,omitempty"`
	// Budget is how long one admission request waits for the answers about
	// the references it does not know yet, all checked at once (default 1s,
	// well inside the webhook's timeoutSeconds of 5). The check goes on after
	// the budget, up to CheckTimeout, and its verdict is cached.
	Budget metav1.Duration `json:"budget,omitempty"`
	// OnTimeout is what an admission does with a reference whose verdict did
	// not come within Budget: direct (default) leaves it as written (outcome
	// not-served), as without pullthrough; rewrite points it at the proxy.
	OnTimeout ServedOnTimeout `json:"onTimeout,omitempty"`
	// ServedTTL is how long a served verdict is trusted (default 10m): a
	// Harbor-like proxy stops serving a tag once its upstream deleted it.
	ServedTTL metav1.Duration `json:"servedTTL,omitempty"`
	// NotServedTTL is how long a not-served verdict, or a check that failed,
	// is kept (default 1m): an ECR cache serves a digest once its tag was
	// pulled, so a refusal is asked again soon.
	NotServedTTL metav1.Duration `json:"notServedTTL,omitempty"`
	// CheckTimeout bounds one check of the proxy, from the request that
	// started it (default 5s, the proxy probe's timeout: a proxy slower than
	// this is as good as down for pulls).
	CheckTimeout metav1.Duration `json:"checkTimeout,omitempty"`
	// MaxEntries bounds the cache of verdicts (default 10000 references,
	// about 3 MB); the least recently used entry goes first.
	MaxEntries int `json:"maxEntries,omitempty"`
	// DockerConfig is a docker config file (the .dockerconfigjson of the pull
	// secret imagePullSecrets names, mounted into the webhook) whose logins
	// the checks use: the webhook reads no Secret through the API. Without
	// it, checks are anonymous, and a proxy that answers 401 gives no verdict
	// (the image is rewritten, as before). Read when the config is loaded.
	DockerConfig string `json:"dockerConfig,omitempty"`
	// CABundle is a PEM file of CA certificates the proxy's certificate
	// chains to, besides the system's (default: proxyHealth.caBundle); read
	// when the config is loaded.
	CABundle string `json:"caBundle,omitempty"`
}

// ServedOnTimeout is what an admission does when a check of the proxy did
// not answer within servedCheck.budget.
type ServedOnTimeout string

// ServedOnTimeout values.
const (
	// ServedOnTimeoutDirect leaves the image as written (outcome not-served).
	ServedOnTimeoutDirect ServedOnTimeout = "direct"
	// ServedOnTimeoutRewrite points the image at the proxy anyway.
	ServedOnTimeoutRewrite ServedOnTimeout = "rewrite"
)

// Exclude lists what is never rewritten.
type Exclude struct {
	// Images are globs (path.Match syntax) on the normalized reference; a glob
	// that matches the name alone excludes every tag and digest of it.
	Images []string `json:"images,omitempty"`
	// Namespaces are namespace names or globs (path.Match syntax, non-empty)
	// whose pods and workloads are left alone.
	Namespaces []string `json:"namespaces,omitempty"`
}

// ProxyHealth configures the probe of the proxy's registry API.
type ProxyHealth struct {
	// URL is probed with GET; any 2xx or 401 (the registry API's
	// "authenticate first") counts as up. Required: an http or https URL
	// with a host and no credentials (user:password@, which would be logged).
	URL string `json:"url"`
	// Interval between probes; default 10s, must not be negative.
	Interval metav1.Duration `json:"interval,omitempty"`
	// FailOpen leaves images alone while the proxy is down (default true), so a
	// proxy outage cannot stop pods from starting.
	FailOpen *bool `json:"failOpen,omitempty"`
	// CABundle is a PEM file of CA certificates to trust besides the system's, for
	// a proxy whose certificate a private CA signed (the chart mounts it from a
	// ConfigMap or Secret); read when the config is loaded.
	CABundle string `json:"caBundle,omitempty"`
	// FailureThreshold is how many consecutive failed probes mark the proxy down
	// (default 3): one lost probe must not stop rewriting for the whole cluster.
	FailureThreshold int `json:"failureThreshold,omitempty"`
	// SuccessThreshold is how many consecutive successful probes mark a down proxy
	// up again (default 2), so a flapping proxy does not flap rewriting.
	SuccessThreshold int `json:"successThreshold,omitempty"`
}

// MigrateTargets are the opt-in objects, beyond workloads, that name images.
type MigrateTargets struct {
	// ConfigMaps whose data values hold explicit registry references.
	ConfigMaps []ConfigMapTarget `json:"configMaps,omitempty"`
	// Fields of custom resources that hold an image or a registry prefix.
	Fields []FieldTarget `json:"fields,omitempty"`
}

// ConfigMapTarget selects ConfigMaps in one namespace, by name or by label selector.
type ConfigMapTarget struct {
	// Namespace holds the ConfigMaps; required.
	Namespace string `json:"namespace"`
	// Name selects one ConfigMap; exclusive with Selector.
	Name string `json:"name,omitempty"`
	// Selector is a label selector (app=my-addon); exclusive with Name.
	Selector string `json:"selector,omitempty"`
}

// FieldValue says how a custom-resource field is read: a whole image, or a
// registry prefix such as Calico's spec.registry.
type FieldValue string

const (
	// FieldImage is a whole image reference.
	FieldImage FieldValue = "image"
	// FieldRegistry is a host or host/path prefix, with an optional trailing slash.
	FieldRegistry FieldValue = "registry"
)

// FieldTarget names one field of a custom resource.
type FieldTarget struct {
	// Group, Version and Resource name the custom resource, e.g.
	// operator.tigera.io, v1, installations. Group is empty for the core group.
	Group string `json:"group,omitempty"`
	// Version is the API version, e.g. v1; required.
	Version string `json:"version"`
	// Resource is the plural resource name, e.g. installations; required.
	Resource string `json:"resource"`
	// Namespace limits a namespaced resource to one namespace; empty means
	// every namespace (or a cluster-scoped resource).
	Namespace string `json:"namespace,omitempty"`
	// Name of one object; empty means every object of the resource.
	Name string `json:"name,omitempty"`
	// Path is the dotted field path, e.g. spec.registry; required, with no
	// empty segment.
	Path string `json:"path"`
	// Value says whether the field holds an image or a registry prefix; required.
	Value FieldValue `json:"value"`
	// Unset is what the resource's controller uses while the field is absent,
	// e.g. quay.io for Calico's Installation spec.registry. An object without
	// the field is then reported with what it pulls and the value to set (a
	// patch cannot test an absent value, so it is set by hand); without
	// Unset it is reported as unset. A registry prefix or an image, like
	// Value says.
	Unset string `json:"unset,omitempty"`
}

// Load reads, decodes strictly, defaults and validates the config at path.
// Every error names the file.
func Load(path string) (*Config, error) {
	cfg, _, err := Read(path)
	return cfg, err
}

// Read is Load that also returns the file's bytes, for a caller that reloads
// the file and skips a change that is no change. The bytes are returned
// whenever the file could be read, even if the config in it is rejected.
func Read(path string) (*Config, []byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read config: %w", err)
	}
	cfg, err := Parse(data)
	if err != nil {
		return nil, data, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, data, nil
}

// Parse decodes YAML or JSON strictly (unknown fields are errors, so a typo
// never silently turns a setting off), then defaults and validates it.
func Parse(data []byte) (*Config, error) {
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	var cfg Config
	strict, err := json.UnmarshalStrict(js, &cfg, json.DisallowDuplicateFields, json.DisallowUnknownFields)
	if err != nil {
		return nil, err
	}
	if len(strict) > 0 {
		// sigs.k8s.io/json names the field path ("mirrors[0].targte").
		return nil, errors.Join(strict...)
	}
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}
