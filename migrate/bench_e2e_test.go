package migrate

import (
	"fmt"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// benchObjects is the size of the benchmark's cluster.
const benchObjects = 2000

// BenchmarkPlanApply2000 measures the migrator against a local API server
// holding 2,000 Deployments: each iteration plans, applies and undoes them
// all, and reports objects per second for each phase (plan: list and
// decide; apply: the patches of a plan; undo: its plan and its patches). The client is not
// rate-limited, so the numbers are the migrator's and the API server's, not
// --qps's; run it with -benchtime 1x (each iteration moves 4,000 patches).
func BenchmarkPlanApply2000(b *testing.B) {
	env := startE2E(b)
	env.seed(b, []*unstructured.Unstructured{newNamespace("bench")}, nil)
	g, ctx := errgroup.WithContext(b.Context())
	g.SetLimit(16)
	for i := range benchObjects {
		g.Go(func() error {
			return env.client.Create(ctx, newDeployment("Deployment", "bench", fmt.Sprintf("app-%04d", i), "nginx:1.27"))
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatalf("seeding: %v", err)
	}
	m := env.migrator(b, nil, Options{Namespaces: []string{"bench"}, Kinds: []string{"deployments"}, BatchSize: 500})
	var plan, apply, undo time.Duration
	iterations := 0
	for b.Loop() {
		iterations++
		start := time.Now()
		p, err := m.Plan(b.Context())
		plan += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		expectAll(b, p.Report, nil, StatusPlanned)

		start = time.Now()
		r, err := m.Apply(b.Context(), p)
		apply += time.Since(start)
		expectAll(b, r, err, StatusPatched)

		start = time.Now()
		if p, err = m.PlanUndo(b.Context()); err == nil {
			r, err = m.Apply(b.Context(), p)
		}
		undo += time.Since(start)
		expectAll(b, r, err, StatusPatched)
	}
	perSecond := func(d time.Duration) float64 { return float64(benchObjects*iterations) / d.Seconds() }
	b.ReportMetric(perSecond(plan), "plan-objects/s")
	b.ReportMetric(perSecond(apply), "apply-objects/s")
	b.ReportMetric(perSecond(undo), "undo-objects/s")
}

// expectAll fails b unless err is nil and every object has status want.
func expectAll(b *testing.B, r *Report, err error, want Status) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
	if got := r.Totals.Objects[want]; got != benchObjects {
		b.Fatalf("%s; want %d %s", Summary(r), benchObjects, want)
	}
}
