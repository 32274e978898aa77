package migrate

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/rewrite"
)

// Defaults of Options, chosen to be gentle on a busy API server.
const (
	DefaultBatchSize = 50
	defaultPageSize  = 500
)

// Options narrow and pace a run. The zero value migrates every namespace and
// kind in batches of DefaultBatchSize without a pause.
type Options struct {
	// Namespaces limit the run to these namespaces (-n); empty means all.
	// Cluster-scoped objects (a custom resource without a namespace) are
	// then left out: a namespace-by-namespace rollout must not touch them.
	Namespaces []string
	// Kinds limit the run to these kinds (--kinds); see parseKinds.
	Kinds []string
	// Selector is a label selector every listed object must match (-l).
	Selector string
	// BatchSize is how many objects are patched between progress lines and pauses.
	BatchSize int
	// Pause is the wait between batches, to let controllers roll out.
	Pause time.Duration
	// ServerDryRun sends every patch with dryRun=All: the API server admits
	// and validates it, and persists nothing.
	ServerDryRun bool
	// Diff renders a unified diff of each planned object.
	Diff bool
	// PageSize is the limit of each list request; default defaultPageSize.
	PageSize int64
	// Progress receives one line per batch; nil discards it.
	Progress io.Writer
	// IncludeManaged patches objects that Argo CD, Flux or Helm manages
	// (--include-managed), which are otherwise StatusGitOpsManaged: the next
	// sync reverts such a patch unless their source changes too.
	IncludeManaged bool
	// ArgoCDInstanceLabel is the label of Argo CD's label tracking
	// (--argocd-instance-label; DefaultArgoCDInstanceLabel is Argo CD's
	// default): an object with it, and without a Helm release's
	// annotations, is taken for Argo CD's. Empty: only Argo CD's
	// annotations are recognised (its default tracking since 3.0).
	ArgoCDInstanceLabel string
}

// Migrator plans and carries out the move of existing objects' images to the
// proxy. It holds no state between calls; each Plan reads the cluster anew.
type Migrator struct {
	client dynamic.Interface
	// cfg names the excluded namespaces and the config's mode.
	cfg *config.Config
	// enforce routes with the config's rules, as the webhook does where
	// enforce is in force; undo recomputes with it what an earlier apply
	// wrote, even if the config has since been switched to audit.
	enforce *rewrite.Rewriter
	// audit is enforce withholding every rewrite, where audit is in force
	// (config.Config.ModeIn): the rewrites are shown, none is applied.
	audit   *rewrite.Rewriter
	sources []*source
	// shared are the resources a config target lists (ConfigMaps, custom
	// resources): an object of one may be selected by several targets, so
	// a scan holds it until every source is listed.
	shared map[schema.GroupVersionResource]bool
	opts   Options
}

// New builds a Migrator that lists through client and routes with cfg (the
// webhook's config, migrate: section included). It fails only on invalid
// options or config ("invalid migrate options"), which a CLI reports as a
// usage error.
func New(client dynamic.Interface, cfg *config.Config, opts Options) (*Migrator, error) {
	enforce, err := rewrite.New(cfg.Rules())
	if err != nil {
		return nil, fmt.Errorf("invalid migrate options: %w", err)
	}
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("invalid migrate options: %w", err)
	}
	kinds, err := parseKinds(opts.Kinds, cfg.Migrate.Fields)
	if err != nil {
		return nil, fmt.Errorf("invalid migrate options: %w", err)
	}
	m := &Migrator{
		client:  client,
		cfg:     cfg,
		enforce: enforce,
		audit:   enforce.Withholding(rewrite.OutcomeAudit),
		sources: sources(cfg.Migrate, kinds, opts),
		shared:  map[schema.GroupVersionResource]bool{},
		opts:    opts,
	}
	for _, s := range m.sources {
		if !s.workload {
			m.shared[s.gvr] = true
		}
	}
	return m, nil
}

// validate checks the options and fills in their defaults.
func (o *Options) validate() error {
	if o.Selector != "" {
		if _, err := labels.Parse(o.Selector); err != nil {
			return fmt.Errorf("label selector %q: %w", o.Selector, err)
		}
	}
	for _, ns := range o.Namespaces {
		if ns == "" {
			return errors.New("an empty namespace name")
		}
	}
	o.Namespaces = slices.Compact(slices.Sorted(slices.Values(o.Namespaces)))
	switch {
	case o.BatchSize < 0:
		return fmt.Errorf("batch size %d: must be positive", o.BatchSize)
	case o.BatchSize == 0:
		o.BatchSize = DefaultBatchSize
	}
	if o.Pause < 0 {
		return fmt.Errorf("pause %s: must not be negative", o.Pause)
	}
	if o.PageSize <= 0 {
		o.PageSize = defaultPageSize
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return nil
}
