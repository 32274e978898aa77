package node

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/e2e/registry"
	"github.com/pullthrough/pullthrough/wellknown"
)

// pullOutcomes: the Docker Hub stand-in at its pull limit for the proxy's
// address makes a rewritten pod fail its pull with 429 (the proxy passes it
// on: the served check's HEAD is not a pull, so it found the image served),
// and a pod that names the proxy for an image that exists nowhere fails with
// 404 (a rewrite of it would have been withheld as not-served). The webhook
// counts each from the kubelet's events, by the mirror's source and the
// reason, and `pullthrough report` names both pods.
func (l *Lab) pullOutcomes(t *testing.T) {
	ctx, ns := t.Context(), "outcomes"
	limited, nowhere := "docker.io/library/limited:1", l.Set.Proxy("docker.io").Addr+"/library/nowhere:1"
	must(t, l.Seed(ctx, limited))
	l.namespace(t, ns, "", true)
	hub := l.Set.Upstream("docker.io")
	hub.SetPullLimit(registry.PullLimit{Pulls: 1, Window: time.Hour})
	t.Cleanup(func() { hub.SetPullLimit(registry.PullLimit{}) })
	hub.SpendPulls("127.0.0.1", 1) // the proxies' address has spent its window
	before := map[string]float64{"429": l.pullFailures(t, "docker.io", "429"), "404": l.pullFailures(t, "docker.io", "404")}

	must(t, l.CreatePod(ctx, ns, "limited", PodSpec(Container("app", limited))))
	must(t, l.CreatePod(ctx, ns, "nowhere", PodSpec(Container("app", nowhere))))
	var last string
	err := wait.PollUntilContextTimeout(ctx, 2*time.Second, PodTimeout, true, func(ctx context.Context) (bool, error) {
		got := map[string]float64{"429": l.pullFailures(t, "docker.io", "429"), "404": l.pullFailures(t, "docker.io", "404")}
		last = fmt.Sprintf("429: %v, 404: %v (before: %v)", got["429"], got["404"], before)
		return got["429"] > before["429"] && got["404"] > before["404"], nil
	})
	messages, _ := l.FailedPulls(ctx, ns)
	if err != nil {
		t.Fatalf("%s{registry=docker.io} did not count a 429 and a 404: %s; the kubelet said %q", wellknown.MetricPullFailures, last, messages)
	}
	t.Logf("%s; the kubelet said %q", last, messages)
	if !slices.ContainsFunc(messages, func(m string) bool { return strings.Contains(m, "429 Too Many Requests") }) {
		t.Errorf("no failed pull names the 429: %q", messages)
	}
	if hub.Limited("127.0.0.1") == 0 {
		t.Error("the Docker Hub stand-in refused no pull of the proxy")
	}

	out, err := exec.Command(l.Bin, "report", "--config", l.Config, "--kubeconfig", l.Cluster.KubeconfigPath(), "-n", ns, "-o", "json").Output()
	if err != nil {
		t.Fatalf("pullthrough report: %v", err)
	}
	var rows []struct{ Pod, Outcome, PullFailure string }
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("report -o json: %v\n%s", err, out)
	}
	failing := map[string]bool{}
	for _, r := range rows {
		if r.Outcome == "already-proxied" && (r.PullFailure == "ErrImagePull" || r.PullFailure == "ImagePullBackOff") {
			failing[r.Pod] = true
		}
	}
	if !failing["limited"] || !failing["nowhere"] {
		t.Errorf("report does not name both pods as failing to pull through the proxy: %s", out)
	}
	must(t, l.CS.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}))
}

// pullFailures reads pullthrough_pull_failures_total{registry,reason} from the webhook.
func (l *Lab) pullFailures(t *testing.T, registry, reason string) float64 {
	t.Helper()
	families, err := l.Hook.Metrics(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	sum, _ := cluster.MetricSum(families, wellknown.MetricPullFailures, func(labels map[string]string) bool {
		return labels["registry"] == registry && labels["reason"] == reason
	})
	return sum
}
