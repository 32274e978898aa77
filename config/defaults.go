package config

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The defaults of every optional setting, in this one file: Default fills
// them into a loaded config, and the readers of an optional field that a
// Config built in code may leave unset (FailOpen, PublicRegistries.List,
// Node.FallsBack) fall back to the same values through orDefault.
const (
	defaultMode     = ModeEnforce
	defaultUnrouted = UnroutedWarn
	// defaultBuiltIn keeps rewrite.DefaultPublicRegistries in the list.
	defaultBuiltIn = true
	// defaultFallback lets containerd pull from the public registry when the
	// proxy fails: the node side, like the webhook, fails open.
	defaultFallback = true

	// The proxy probe's, for the proxyHealth fields left unset.
	defaultInterval         = 10 * time.Second
	defaultFailOpen         = true
	defaultFailureThreshold = 3
	defaultSuccessThreshold = 2

	// The served check's, for the servedCheck fields left unset
	// (docs/proxies.md says why each is what it is).
	defaultServedCheck        = true
	defaultServedBudget       = time.Second
	defaultServedOnTimeout    = ServedOnTimeoutDirect
	defaultServedTTL          = 10 * time.Minute
	defaultNotServedTTL       = time.Minute
	defaultServedCheckTimeout = 5 * time.Second
	defaultServedMaxEntries   = 10000
)

// Default fills in every optional setting, in one place.
func (c *Config) Default() {
	if c.Mode == "" {
		c.Mode = defaultMode
	}
	if c.Unrouted == "" {
		c.Unrouted = defaultUnrouted
	}
	if h := c.ProxyHealth; h != nil {
		if h.Interval.Duration == 0 {
			h.Interval.Duration = defaultInterval
		}
		setDefault(&h.FailOpen, defaultFailOpen)
		if h.FailureThreshold == 0 {
			h.FailureThreshold = defaultFailureThreshold
		}
		if h.SuccessThreshold == 0 {
			h.SuccessThreshold = defaultSuccessThreshold
		}
	}
	c.ServedCheck = c.ServedCheck.withDefaults()
	setDefault(&c.PublicRegistries.BuiltIn, defaultBuiltIn)
	setDefault(&c.Node.Fallback, defaultFallback)
}

// setDefault points an unset optional bool at its default.
func setDefault(b **bool, def bool) {
	if *b == nil {
		*b = &def
	}
}

// orDefault is an optional bool's value, or def when it is unset.
func orDefault(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

// withDefaults is s with every unset field at its default: Default stores
// it, and Served returns it for a Config built in code.
func (s ServedCheck) withDefaults() ServedCheck {
	setDefault(&s.Enabled, defaultServedCheck)
	for _, d := range []struct {
		field *metav1.Duration
		def   time.Duration
	}{
		{&s.Budget, defaultServedBudget}, {&s.ServedTTL, defaultServedTTL},
		{&s.NotServedTTL, defaultNotServedTTL}, {&s.CheckTimeout, defaultServedCheckTimeout},
	} {
		if d.field.Duration == 0 {
			d.field.Duration = d.def
		}
	}
	if s.OnTimeout == "" {
		s.OnTimeout = defaultServedOnTimeout
	}
	if s.MaxEntries == 0 {
		s.MaxEntries = defaultServedMaxEntries
	}
	return s
}
