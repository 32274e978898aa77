package deploy

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/e2e"
	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/e2e/kit"
	"github.com/pullthrough/pullthrough/wellknown"
)

// secureMetricsValues switch metrics.secure on for the webhook and the node
// agent, with one scraper ServiceAccount among the readers.
const secureMetricsValues = `
config:
  mirrors: [{source: docker.io, target: harbor.platform.internal/dockerhub}]
nodeConfig: {enabled: true}
certs: {mode: cert-manager}
metrics:
  serviceMonitor: {enabled: true}
  secure:
    enabled: true
    readers: [{kind: ServiceAccount, name: prometheus, namespace: monitoring}]
`

// TestSecureMetrics runs the webhook, the node agent and the policy
// engine's applier with the flags their pods get under metrics.secure, each
// as its ServiceAccount holding
// only the RBAC the chart renders, on a real API server, and scrapes them
// with tokens the API server issued (TokenRequest): no token and a forged
// one are refused (401), a ServiceAccount without the reader grant is
// forbidden (403), one in metrics.secure.readers reads the metrics (200).
func TestSecureMetrics(t *testing.T) {
	shipped, err := e2e.WebhookConfig()
	if err != nil {
		t.Fatal(err)
	}
	c := cluster.StartForTest(t, cluster.Options{WebhookConfigs: []*admissionregistrationv1.MutatingWebhookConfiguration{shipped}})
	objs := renderChart(t, secureMetricsValues, "templates/metrics-rbac.yaml", "templates/serviceaccount.yaml",
		"templates/nodeconfig-daemonset.yaml", "templates/deployment.yaml")
	admin, err := kubernetes.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{releaseNamespace, "monitoring"} {
		kit.Namespace(t, admin, ns, nil)
	}
	install(t, c, objs)
	tokens := map[string]string{}
	for _, sa := range []string{"prometheus", "other"} {
		if _, err := admin.CoreV1().ServiceAccounts("monitoring").Create(t.Context(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		tr, err := admin.CoreV1().ServiceAccounts("monitoring").CreateToken(t.Context(), sa, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("TokenRequest for monitoring/%s: %v", sa, err)
		}
		tokens[sa] = tr.Status.Token
	}
	// The policy engine's applier runs as the same ServiceAccount: its
	// Deployment's flags, and its own RBAC beside the reviews.
	policyObjs := renderChartArgs(t, secureMetricsValues+"engine: policy\n", append(metricsCapabilities,
		"--show-only", "templates/policy-rbac.yaml", "--show-only", "templates/deployment.yaml")...)
	applier := metricsPods(policyObjs)["webhook"]
	install(t, c, slices.DeleteFunc(policyObjs, func(o runtime.Object) bool { _, ok := o.(*appsv1.Deployment); return ok }))
	bin := e2e.BuildBinary(t)
	pods := metricsPods(objs)
	config := writeTemp(t, "config.yaml", []byte("mirrors: [{source: docker.io, target: harbor.platform.internal/dockerhub}]\n"))
	urls := map[string]string{
		"webhook":    startSecureWebhook(t, c, bin, pods["webhook"], config),
		"nodeconfig": startSecure(t, c, bin, pods["nodeconfig"], map[string]string{"config": config, "out": t.TempDir()}),
		"policy": startSecure(t, c, bin, applier,
			map[string]string{"config": config, "health-probe-bind-address": "127.0.0.1:" + strconv.Itoa(e2e.FreePort(t))}),
	}
	// What each process serves (and the filter's own counter, on each).
	series := map[string]string{"webhook": wellknown.MetricAdmissionRequests, "nodeconfig": wellknown.MetricNodeconfigSyncs,
		"policy": wellknown.MetricPolicyApplies}
	tests := []struct {
		name, token string
		status      int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"forged token", "not-a-token", http.StatusUnauthorized},
		{"ServiceAccount without the grant", tokens["other"], http.StatusForbidden},
		{"ServiceAccount in metrics.secure.readers", tokens["prometheus"], http.StatusOK},
	}
	for process, url := range urls {
		for _, tt := range tests {
			t.Run(process+"/"+tt.name, func(t *testing.T) {
				status, body := scrape(t, url, tt.token)
				if status != tt.status {
					t.Fatalf("status %d, want %d: %s", status, tt.status, body)
				}
				if tt.status == http.StatusOK && (!strings.Contains(body, series[process]) || !strings.Contains(body, wellknown.MetricMetricsRequests+`{result="forbidden"} `)) {
					t.Errorf("the metrics lack %s or %s:\n%s", series[process], wellknown.MetricMetricsRequests, body)
				}
			})
		}
		t.Run(process+"/plain HTTP", func(t *testing.T) {
			// The TLS server answers 400 or drops the connection: either will do.
			resp, err := scrapeClient.Get(strings.Replace(url, "https://", "http://", 1))
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					t.Error("the metrics are served in clear")
				}
			}
		})
	}
}

// secureFlags are the flags of a rendered container that the test passes
// on as they are: every one but those naming files and addresses, which
// the test sets for this machine.
func secureFlags(c corev1.Container, local ...string) []string {
	var out []string
	for _, a := range c.Args[1:] {
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !slices.Contains(local, name) {
			out = append(out, a)
		}
	}
	return out
}

// startSecureWebhook runs the webhook with its pod's flags, as its
// ServiceAccount, and returns its metrics URL once the API server calls it.
func startSecureWebhook(t *testing.T, c *cluster.Cluster, bin string, pod metricsPod, config string) string {
	t.Helper()
	user := serviceAccountUser(t, c, pod.namespace, pod.spec.ServiceAccountName)
	extra := append(secureFlags(pod.spec.Containers[0], "config", "cert-dir", "port", "metrics-bind-address", "health-probe-bind-address"),
		"--kubeconfig="+user.KubeconfigPath)
	// One writer for stdout and stderr: exec.Cmd then writes from one goroutine.
	var logs strings.Builder
	hook, err := e2e.StartWebhook(t.Context(), bin, config, c, &logs, extra...)
	if err != nil {
		t.Fatalf("%v\n%s", err, logs.String())
	}
	t.Cleanup(func() {
		if err := hook.Stop(); err != nil {
			t.Log(err)
		}
		if t.Failed() {
			t.Logf("pullthrough webhook %v:\n%s", extra, logs.String())
		}
	})
	return hook.MetricsURL
}

// startSecure runs the process of pod with its flags, those named in local
// replaced by local's values and its metrics on a free loopback port, as
// the pod's ServiceAccount, and returns its metrics URL once it answers.
func startSecure(t *testing.T, c *cluster.Cluster, bin string, pod metricsPod, local map[string]string) string {
	t.Helper()
	user := serviceAccountUser(t, c, pod.namespace, pod.spec.ServiceAccountName)
	addr := "127.0.0.1:" + strconv.Itoa(e2e.FreePort(t))
	local["metrics-bind-address"] = addr
	local["kubeconfig"] = user.KubeconfigPath
	ctr := pod.spec.Containers[0]
	args := append([]string{ctr.Args[0]}, secureFlags(ctr, slices.Collect(maps.Keys(local))...)...)
	for name, value := range local {
		args = append(args, "--"+name+"="+value)
	}
	cmd := exec.Command(bin, args...)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	url := "https://" + addr + "/metrics"
	proc, err := cluster.StartProcess("pullthrough "+ctr.Args[0], cmd, func(ctx context.Context) bool {
		return cluster.Answers(ctx, scrapeClient, url, func(status int) bool { return status == http.StatusUnauthorized })
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, logs.String())
	}
	t.Cleanup(func() {
		if err := proc.Stop(); err != nil {
			t.Log(err)
		}
		if t.Failed() {
			t.Logf("pullthrough %v:\n%s", args, logs.String())
		}
	})
	return url
}

// scrapeClient scrapes as the chart's ServiceMonitor does: the processes'
// certificates are self-signed at start, so they are not verified.
var scrapeClient = &http.Client{Timeout: 15 * time.Second,
	Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // as the ServiceMonitor: the token is what is checked

// scrape GETs url with token as the bearer (none when empty).
func scrape(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := scrapeClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// TestHostNetworkListeners runs the webhook with the flags its pod gets
// under webhook.hostNetwork, $(POD_IP) expanded as the kubelet does, to
// 127.0.0.1: each of its three ports must answer on that address and on no
// other (127.0.0.2 reaches every listener bound to all addresses, so it
// stands for the node's other interfaces).
func TestHostNetworkListeners(t *testing.T) {
	t.Parallel()
	ports := map[string]int{"webhook": e2e.FreePort(t), "metrics": e2e.FreePort(t), "health": e2e.FreePort(t)}
	values := fmt.Sprintf("certs: {mode: cert-manager}\nwebhook:\n  hostNetwork: true\n  ports: {webhook: %d, metrics: %d, health: %d}\n",
		ports["webhook"], ports["metrics"], ports["health"])
	dep := only[*appsv1.Deployment](t, renderChart(t, values, "templates/deployment.yaml"))
	c := dep.Spec.Template.Spec.Containers[0]
	if !podIPEnv(c) {
		t.Fatal("no env POD_IP from status.podIP")
	}
	const podIP = "127.0.0.1"
	certDir := t.TempDir()
	args := []string{"webhook", "--config=" + writeTemp(t, "config.yaml", []byte("mirrors: [{source: docker.io, target: harbor.platform.internal/dockerhub}]\n")),
		"--cert-dir=" + certDir, "--local-cert-hosts=" + podIP}
	for _, a := range secureFlags(c, "config", "cert-dir") {
		args = append(args, strings.ReplaceAll(a, "$(POD_IP)", podIP))
	}
	cmd := exec.Command(e2e.BuildBinary(t), args...)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	health := fmt.Sprintf("http://%s:%d/readyz", podIP, ports["health"])
	proc, err := cluster.StartProcess("pullthrough webhook", cmd, func(ctx context.Context) bool {
		return cluster.Answers(ctx, http.DefaultClient, health, func(status int) bool { return status == http.StatusOK })
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, logs.String())
	}
	t.Cleanup(func() {
		if err := proc.Stop(); err != nil {
			t.Log(err)
		}
		if t.Failed() {
			t.Logf("pullthrough %v:\n%s", args, logs.String())
		}
	})
	for name, port := range ports {
		for host, want := range map[string]bool{podIP: true, "127.0.0.2": false} {
			conn, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(port)), 5*time.Second)
			if err == nil {
				conn.Close()
			}
			if got := err == nil; got != want {
				t.Errorf("%s port on %s: connects %v, want %v (%v)", name, host, got, want, err)
			}
		}
	}
}
