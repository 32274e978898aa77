package migrate

import (
	"fmt"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/e2e/cluster"
)

// benchObjects is the size of the benchmark's cluster: the fleet size a
// plan must cover in 10 s.
const benchObjects = 10000

// BenchmarkPlanApply10000 measures the migrator against a local API server
// holding 10,000 Deployments: each iteration plans, applies and undoes them
// all. It reports the plan's seconds and objects per second for each phase
// (plan: list and decide; apply: the patches of a plan; undo: its plan and
// its patches), and for apply the API server's own time on the PATCH
// requests (apiserver_request_duration_seconds) as a share of the wall
// time: the migrator patches one object at a time, so a share near 1 means
// apply is bounded by the API server, not by the client. The client is not
// rate-limited, so the numbers are not --qps's; run it with -benchtime 1x
// (each iteration moves 20,000 patches).
func BenchmarkPlanApply10000(b *testing.B) {
	env := startE2E(b)
	env.seed(b, []*unstructured.Unstructured{newNamespace("bench")}, nil)
	env.seedDeployments(b, "bench", 0, benchObjects)
	cs, err := kubernetes.NewForConfig(env.admin)
	if err != nil {
		b.Fatal(err)
	}
	m := env.migrator(b, nil, Options{Kinds: builtinKinds(), BatchSize: 500})
	var plan, apply, applyServer, undo time.Duration
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

		before := serverTime(b, cs, "PATCH", "deployments")
		start = time.Now()
		r, err := m.Apply(b.Context(), p)
		apply += time.Since(start)
		applyServer += serverTime(b, cs, "PATCH", "deployments") - before
		expectAll(b, r, err, StatusPatched)

		start = time.Now()
		if p, err = m.PlanUndo(b.Context()); err == nil {
			r, err = m.Apply(b.Context(), p)
		}
		undo += time.Since(start)
		expectAll(b, r, err, StatusPatched)
	}
	perSecond := func(d time.Duration) float64 { return float64(benchObjects*iterations) / d.Seconds() }
	b.ReportMetric(plan.Seconds()/float64(iterations), "plan-s")
	b.ReportMetric(perSecond(plan), "plan-objects/s")
	b.ReportMetric(perSecond(apply), "apply-objects/s")
	b.ReportMetric(applyServer.Seconds()/apply.Seconds(), "apply-server-share")
	b.ReportMetric(perSecond(undo), "undo-objects/s")
}

// seedDeployments creates Deployments app-FROM .. app-(TO-1) of nginx:1.27
// in namespace ns, 16 at a time.
func (e *e2eEnv) seedDeployments(b *testing.B, ns string, from, to int) {
	b.Helper()
	g, ctx := errgroup.WithContext(b.Context())
	g.SetLimit(16)
	for i := from; i < to; i++ {
		g.Go(func() error {
			return e.client.Create(ctx, newDeployment("Deployment", ns, fmt.Sprintf("app-%06d", i), "nginx:1.27"))
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatalf("seeding: %v", err)
	}
}

// builtinKinds are every namespace's built-in kinds and ConfigMaps, as a
// plain `pullthrough migrate` lists them; the test config's custom
// resources have no CRD here.
func builtinKinds() []string {
	kinds := []string{configMaps.Resource}
	for _, w := range workloads {
		kinds = append(kinds, w.Resource.Resource)
	}
	return kinds
}

// serverTime is the API server's total time so far on verb requests for
// resource, as its request-duration histogram records it.
func serverTime(b *testing.B, cs kubernetes.Interface, verb, resource string) time.Duration {
	b.Helper()
	families, err := cluster.APIServerMetrics(b.Context(), cs)
	if err != nil {
		b.Fatal(err)
	}
	if families["apiserver_request_duration_seconds"] == nil {
		b.Fatal("the API server's /metrics has no apiserver_request_duration_seconds")
	}
	seconds, _ := cluster.MetricSum(families, "apiserver_request_duration_seconds", func(labels map[string]string) bool {
		return labels["verb"] == verb && labels["resource"] == resource
	})
	return time.Duration(seconds * float64(time.Second))
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
