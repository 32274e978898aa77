package migrate

import (
	"flag"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/e2e"
)

// fleetSizes are the cluster sizes BenchmarkPlanFleet plans, ascending. The
// default run is light; the fleet figure is
// -fleet-sizes 10000,100000 (seeding 100,000 Deployments takes minutes).
var fleetSizes = flag.String("fleet-sizes", "10000", "comma-separated Deployment counts for BenchmarkPlanFleet, ascending")

// BenchmarkPlanFleet measures `pullthrough migrate` planning a whole cluster
// as a person runs it (the binary, -o json to a pipe, every namespace and
// built-in kind, client not rate-limited) against a local API server
// holding each of -fleet-sizes Deployments. It reports the plan's seconds,
// objects per second, the API server's own time on the Deployment LISTs as
// a share of the wall time, and the process's peak RSS (the kernel's ru_maxrss), so
// that a run of 10,000 and 100,000 shows whether memory follows the page
// size or the cluster. One cluster serves every size: each grows it.
func BenchmarkPlanFleet(b *testing.B) {
	var sizes []int
	for _, s := range strings.Split(*fleetSizes, ",") {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || (len(sizes) > 0 && n <= sizes[len(sizes)-1]) {
			b.Fatalf("-fleet-sizes %q: want ascending positive counts", *fleetSizes)
		}
		sizes = append(sizes, n)
	}
	bin := e2e.BuildBinary(b)
	env := startE2E(b)
	cs, err := kubernetes.NewForConfig(env.admin)
	if err != nil {
		b.Fatal(err)
	}
	env.seed(b, []*unstructured.Unstructured{newNamespace("fleet")}, nil)
	seeded := 0
	for _, n := range sizes {
		env.seedDeployments(b, "fleet", seeded, n)
		seeded = n
		b.Run("deployments="+strconv.Itoa(n), func(b *testing.B) {
			var wall, server time.Duration
			var peak int64
			iterations := 0
			for b.Loop() {
				iterations++
				before := serverTime(b, cs, "LIST", "deployments")
				d, rss := planCLI(b, bin, env.cluster.KubeconfigPath(), n)
				server += serverTime(b, cs, "LIST", "deployments") - before
				wall += d
				peak = max(peak, rss)
			}
			b.ReportMetric(wall.Seconds()/float64(iterations), "plan-s")
			b.ReportMetric(server.Seconds()/wall.Seconds(), "list-server-share")
			b.ReportMetric(float64(n*iterations)/wall.Seconds(), "objects/s")
			b.ReportMetric(float64(peak)/1024, "peak-rss-MB")
		})
	}
}

// planCLI runs one plan of every built-in kind with the binary and returns
// its wall time and peak RSS in KiB, after checking that it planned all n
// Deployments.
func planCLI(b *testing.B, bin, kubeconfig string, n int) (time.Duration, int64) {
	b.Helper()
	cmd := exec.Command(bin, "migrate", "--config", testConfigPath, "--kubeconfig", kubeconfig,
		"--kinds", strings.Join(builtinKinds(), ","), "-o", "json", "--qps", "100000", "--burst", "100000")
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("migrate: %v\n%s", err, stderr.String())
	}
	wall := time.Since(start)
	if want := "migrate plan: " + strconv.Itoa(n) + " planned"; !strings.HasPrefix(stderr.String(), want) {
		b.Fatalf("stderr %q, want it to start %q", stderr.String(), want)
	}
	usage, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		b.Fatalf("no rusage on this platform")
	}
	return wall, usage.Maxrss
}
