package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/internal/process"
	"github.com/pullthrough/pullthrough/migrate"
	"github.com/pullthrough/pullthrough/resolve"
	"github.com/pullthrough/pullthrough/wellknown"
)

// migrateFlags are the flags of `pullthrough migrate`.
type migrateFlags struct {
	config, kubeconfig, kinds, output string
	emit                              string
	namespaces                        stringList
	apply, undo, verify, force        bool
	verifyFlags                       verifyFlags
	qps                               float64
	burst                             int
	timeout                           time.Duration
	opts                              migrate.Options
}

// runMigrate is `pullthrough migrate`: the report goes to stdout, progress and
// the summary to stderr; a failed object or list exits 1 (after the report).
func runMigrate(args []string, stdout, stderr io.Writer) error {
	f, err := parseMigrateFlags(args, stderr)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(f.config)
	if err != nil {
		return err
	}
	kube := process.Kubeconfig(f.kubeconfig)
	kube.QPS, kube.Burst, kube.Timeout = float32(f.qps), f.burst, f.timeout
	client, err := kube.Dynamic()
	if err != nil {
		return err
	}
	m, err := migrate.New(client, cfg, f.opts)
	if err != nil {
		return usageError{err}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var verifier resolve.Verifier
	var cs kubernetes.Interface
	if f.verify {
		if cs, err = kube.Typed(); err != nil {
			return err
		}
		if verifier, err = newVerifier(ctx, cfg, f.verifyFlags, cs, stderr); err != nil {
			return err
		}
	}
	var report *migrate.Report
	var runErr error
	if !f.apply && verifier == nil && f.emit == "" {
		// A plan that is only shown is written as it is made: memory stays
		// that of a page of the list, for a fleet of any size.
		planEach := m.PlanEach
		if f.undo {
			planEach = m.PlanUndoEach
		}
		if report, err = planEach(ctx, reportWriter(stdout, f.output)); err != nil {
			return err
		}
	} else {
		runErr = f.verifyFlags.withRecord(ctx, cs, verifier, func(v resolve.Verifier) error {
			var err error
			report, err = migrateRun(ctx, m, f, v)
			return err
		})
		if report == nil {
			return runErr
		}
		write := migrate.WriteTable
		if f.output == "json" {
			write = migrate.WriteJSON
		}
		if err := write(stdout, report); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	// stderr is where errors go: a failure to write it has nowhere to be reported.
	_, _ = fmt.Fprintln(stderr, migrate.Summary(report))
	if runErr != nil {
		return runErr
	}
	if n := report.Totals.Failed; n > 0 {
		return fmt.Errorf("%d of %d objects failed; each is listed in the report with its error", n, report.Totals.Count())
	}
	return nil
}

// migrateRun plans (the migration, or with --undo its undo), with --verify
// checks the images against the proxy, and with --apply carries the plan
// out: --undo alone changes nothing, like a forward run. A report comes back
// whenever one exists, even when the run was interrupted.
func migrateRun(ctx context.Context, m *migrate.Migrator, f *migrateFlags, verifier resolve.Verifier) (*migrate.Report, error) {
	plan := m.Plan
	if f.undo {
		plan = m.PlanUndo
	}
	p, err := plan(ctx)
	if err != nil {
		return nil, err
	}
	if verifier != nil {
		migrate.Verify(ctx, p, verifier, f.force)
	}
	if f.emit != "" {
		written, err := p.Emit(f.emit)
		if err != nil {
			return nil, err
		}
		// Progress is best effort, as Apply's.
		_, _ = fmt.Fprintf(f.opts.Progress, "migrate: --emit wrote %d files under %s: %s\n", len(written), f.emit, strings.Join(written, ", "))
	}
	if !f.apply {
		return p.Report, nil
	}
	return m.Apply(ctx, p)
}

func parseMigrateFlags(args []string, stderr io.Writer) (*migrateFlags, error) {
	fs := newFlagSet("migrate", stderr)
	f := &migrateFlags{}
	fs.StringVar(&f.config, "config", "", "config file (YAML), the webhook's, with its migrate: section")
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, ~/.kube/config or in-cluster)")
	fs.Var(&f.namespaces, "n", "namespace to migrate; repeat for more (default: all namespaces; cluster-scoped objects are then left out)")
	fs.StringVar(&f.kinds, "kinds", "", "comma-separated kinds to migrate, e.g. deploy,sts,configmaps,installations (default: all)")
	fs.StringVar(&f.opts.Selector, "l", "", "label selector every object must match")
	fs.BoolVar(&f.apply, "apply", false, "patch the planned objects (default: print the plan only)")
	fs.BoolVar(&f.undo, "undo", false, "plan the restore of the values recorded in "+wellknown.AnnotationMigratedImages+"; with --apply, restore them")
	fs.StringVar(&f.output, "o", "table", "report format: table or json")
	fs.BoolVar(&f.opts.Diff, "diff", false, "show a unified diff of each object to patch")
	fs.IntVar(&f.opts.BatchSize, "batch-size", migrate.DefaultBatchSize, "objects patched per batch")
	fs.DurationVar(&f.opts.Pause, "pause", 0, "wait between batches, e.g. 30s, to let rollouts settle")
	fs.Float64Var(&f.qps, "qps", 20, "client requests per second to the API server")
	fs.IntVar(&f.burst, "burst", 40, "client request burst")
	fs.DurationVar(&f.timeout, "request-timeout", 30*time.Second, "give up on one API request after this long (a timed-out patch is retried, safely)")
	fs.BoolVar(&f.opts.ServerDryRun, "server-dry-run", false, "send every patch with dryRun=All: validated and admitted, not persisted")
	fs.BoolVar(&f.verify, "verify", false, "check every image the objects would pull through the proxy (rewritten or already proxied) with a manifest HEAD; --apply then skips objects with an image not served")
	fs.BoolVar(&f.force, "force", false, "with --verify --apply: patch objects with an image not served too")
	fs.BoolVar(&f.opts.IncludeManaged, "include-managed", false, "patch objects Argo CD, Flux or Helm manages too (default: status "+string(migrate.StatusGitOpsManaged)+", not patched: their next sync would put the old image back)")
	fs.StringVar(&f.emit, "emit", "", "write the change to make at the source of every managed object into this new (or empty) directory: kustomize images: entries, manifests, chart values, one directory per Argo CD Application, Flux Kustomization or HelmRelease, Helm release")
	fs.StringVar(&f.opts.ArgoCDInstanceLabel, "argocd-instance-label", migrate.DefaultArgoCDInstanceLabel, "the label of Argo CD's label tracking (its application.instanceLabelKey): an object with it and without a Helm release's annotations is taken for Argo CD's; empty: recognise Argo CD by its annotations alone")
	f.verifyFlags.register(fs)
	fs.Usage = func() {
		_, _ = fmt.Fprintln(stderr, "usage: pullthrough migrate --config FILE [--kubeconfig F] [-n NS]... [--kinds K,K] [-l SELECTOR]\n"+
			"                           [--undo] [--apply] [-o table|json] [--diff] [--batch-size N] [--pause D]\n"+
			"                           [--qps Q --burst B] [--request-timeout D] [--server-dry-run]\n"+
			"                           [--verify [--force] [--docker-config F] [--ca-bundle F]]\n"+
			"                           [--include-managed] [--emit DIR] [--argocd-instance-label L]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, usagef("unexpected arguments %q", fs.Args())
	case f.verify && f.undo:
		return nil, usagef("--verify checks the proxy's images; --undo restores public ones")
	case f.force && (!f.verify || !f.apply):
		return nil, usagef("--force needs --verify and --apply")
	case f.verifyFlags.record != "" && !f.verify:
		return nil, usagef("--verdict-record needs --verify")
	case f.opts.ServerDryRun && !f.apply:
		return nil, usagef("--server-dry-run needs --apply (a plan sends no patch)")
	case f.output != "table" && f.output != "json":
		return nil, usagef("-o %q: want table or json", f.output)
	case f.qps <= 0 || f.burst <= 0:
		return nil, usagef("--qps and --burst must be positive")
	case f.timeout <= 0:
		return nil, usagef("--request-timeout %s: must be positive", f.timeout)
	case f.opts.BatchSize <= 0:
		return nil, usagef("--batch-size %d: must be positive", f.opts.BatchSize)
	case f.emit != "" && f.undo:
		return nil, usagef("--emit writes the forward change at the source; --undo restores what an apply wrote")
	}
	if err := emptyDir(f.emit); err != nil {
		return nil, usageError{err}
	}
	f.opts.Namespaces = f.namespaces
	if f.kinds != "" {
		f.opts.Kinds = strings.Split(f.kinds, ",")
	}
	f.opts.Progress = stderr
	return f, nil
}

// stringList is a repeatable string flag (-n a -n b).
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// reportWriter renders a streamed plan (no --verify column) in the -o format.
func reportWriter(w io.Writer, output string) migrate.ReportWriter {
	if output == "json" {
		return migrate.NewJSONWriter(w)
	}
	return migrate.NewTableWriter(w, false)
}

// emptyDir checks that --emit's directory is absent or empty, so that every
// file in it is this run's ("" is no --emit).
func emptyDir(dir string) error {
	if dir == "" {
		return nil
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("--emit %s: %w", dir, err)
	case len(entries) > 0:
		return fmt.Errorf("--emit %s: not empty (%d entries): give a new or empty directory, so that every file in it is this run's", dir, len(entries))
	}
	return nil
}
