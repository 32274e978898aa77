//go:build faults

package faults

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/e2e"
	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/e2e/kit"
)

// suite is the control plane and binary every fault shares; each fault
// serves the API server's webhook address in its own way.
type suite struct {
	cs         kubernetes.Interface
	kubeconfig string // the cluster's, for processes that need the API server
	bin        string
	port       int    // where the API server calls the webhooks
	certDir    string // the serving certificate the API server trusts
	rate       int
	d          time.Duration

	rows []figures
}

// TestFaults runs every fault against one API server, one after another.
func TestFaults(t *testing.T) {
	shipped, err := e2e.WebhookConfig()
	if err != nil {
		t.Fatal(err)
	}
	c := cluster.StartForTest(t, cluster.Options{WebhookConfigs: []*admissionregistrationv1.MutatingWebhookConfiguration{shipped}})
	cfg := c.Config()
	cfg.QPS, cfg.Burst = 1000, 2000
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, port, certDir := c.WebhookServing()
	s := &suite{cs: cs, kubeconfig: c.KubeconfigPath(), bin: e2e.BuildBinary(t), port: port, certDir: certDir}
	s.rate, s.d = settings(t)
	t.Run("SIGKILL mid-stream", s.sigkill)
	t.Run("SIGSTOP past timeoutSeconds", s.sigstop)
	t.Run("rolling restart behind a balancer", s.rolling)
	t.Run("hostile admission input", s.hostile)
	t.Run("config hot reload", s.reload)
	t.Run("serving certificate files replaced", s.rotateFiles)
	t.Run("self-signed certificate renewed", s.rotateSelfSigned)
	t.Run("migrator faults", func(t *testing.T) { s.migrator(t, c.Config()) })
	// Last: it removes the webhook configuration.
	t.Run("SIGKILL, policy engine", func(t *testing.T) { s.policyEngine(t, c) })
	s.report(t)
}

// namespace creates an unlabelled (enforce) namespace for one fault.
func (s *suite) namespace(t *testing.T, name string) {
	t.Helper()
	kit.Namespace(t, s.cs, name, nil)
}

// waitRewriting probes with dry-run creates until the API server gets a
// rewrite from the webhook at its address.
func (s *suite) waitRewriting(t *testing.T, ns string) {
	t.Helper()
	s.waitRewrittenTo(t, ns, proxied)
}

// waitRewrittenTo probes until streamImage comes back as want.
func (s *suite) waitRewrittenTo(t testing.TB, ns, want string) {
	t.Helper()
	probe := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "probe"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: streamImage}}}}
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		got, err := s.cs.CoreV1().Pods(ns).Create(ctx, probe, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err == nil && got.Spec.Containers[0].Image == want, nil
	})
	if err != nil {
		t.Fatalf("the API server gets no rewrite from the webhook: %v", err)
	}
}

// measure runs the stream in ns with fault beside it, and returns the
// figures with the API server's counters over the same span.
func (s *suite) measure(t *testing.T, ns, name string, fault func(d time.Duration)) (figures, *stream) {
	t.Helper()
	st := &stream{cs: s.cs, ns: ns, rate: s.rate, duration: s.d}
	return s.measureStream(t, st, name, fault), st
}

// measureStream is measure with a stream of the caller's.
func (s *suite) measureStream(t *testing.T, st *stream, name string, fault func(d time.Duration)) figures {
	t.Helper()
	openBefore, rejectedBefore := admissionCounters(t, s.cs)
	st.during(t, st.ns, fault)
	openAfter, rejectedAfter := admissionCounters(t, s.cs)
	f := st.figures(name)
	f.failOpen, f.rejected = openAfter-openBefore, rejectedAfter-rejectedBefore
	t.Log(f.row())
	return f
}

// record keeps a fault's figures for the report; the faults run one after
// another.
func (s *suite) record(f figures) {
	s.rows = append(s.rows, f)
}

// report logs the table and writes it to PT_FAULT_REPORT, if set.
func (s *suite) report(t *testing.T) {
	table := fmt.Sprintf("%d pods/s for %s per fault\n\n%s\n", s.rate, s.d, tableHeader)
	for _, f := range s.rows {
		table += f.row() + "\n"
	}
	t.Log("\n" + table)
	if path := os.Getenv("PT_FAULT_REPORT"); path != "" {
		if err := os.WriteFile(path, []byte(table), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// noneLost fails the test if any creation failed: whatever happens to the
// webhook, failurePolicy Ignore must admit every pod.
func noneLost(t *testing.T, f figures, st *stream) {
	t.Helper()
	if f.failed != 0 || f.created != f.requested {
		t.Errorf("%s: %d of %d creations failed (%s)", f.fault, f.failed, f.requested, st.firstErrors())
	}
}

// sigkill: the only webhook process is killed a third of the way in and
// started again half way; creations fail open meanwhile and none is lost,
// and rewriting resumes.
func (s *suite) sigkill(t *testing.T) {
	s.namespace(t, "sigkill")
	p := startWebhook(t, s.bin, s.certDir, s.port)
	s.waitRewriting(t, "sigkill")
	f, st := s.measure(t, "sigkill", "SIGKILL, restarted", func(d time.Duration) {
		time.Sleep(d / 3)
		p.signal(t, syscall.SIGKILL)
		_ = p.wait()
		time.Sleep(d / 6)
		startWebhook(t, s.bin, s.certDir, s.port)
	})
	noneLost(t, f, st)
	if f.unchanged == 0 || f.rewritten == 0 {
		t.Errorf("want pods admitted unchanged while the webhook was down and rewritten around it: %+v", f)
	}
	s.waitRewriting(t, "sigkill") // rewriting resumes
	f.note = "unchanged = admitted while no process listened"
	s.record(f)
}

// policyEngine: the rewrite as admission policies (docs/policy-engine.md),
// the webhook configuration removed, and the only pullthrough process (the
// applier) SIGKILLed a third of the way in and never restarted: the API
// server keeps rewriting every pod, as nothing of pullthrough is on the
// admission path.
func (s *suite) policyEngine(t *testing.T, c *cluster.Cluster) {
	if !c.ServesAdmissionPolicies(t) {
		return
	}
	hooks := s.cs.AdmissionregistrationV1().MutatingWebhookConfigurations()
	list, err := hooks.List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range list.Items {
		if err := hooks.Delete(t.Context(), h.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	s.namespace(t, "policy")
	p := startPolicyEngine(t, s.bin, s.kubeconfig)
	s.waitRewriting(t, "policy")
	f, st := s.measure(t, "policy", "policy engine: SIGKILL, not restarted", func(d time.Duration) {
		time.Sleep(d / 3)
		p.signal(t, syscall.SIGKILL)
		_ = p.wait()
	})
	noneLost(t, f, st)
	if f.unchanged != 0 || f.failOpen != 0 || f.rewritten != f.requested {
		t.Errorf("want every pod rewritten with the policy engine's process dead: %+v", f)
	}
	f.note = "no pullthrough process on the admission path"
	s.record(f)
}

// sigstop: the process hangs (SIGSTOP) for longer than the webhooks'
// timeoutSeconds (5): the API server waits out the timeout, admits
// unchanged, loses nothing; SIGCONT resumes rewriting.
func (s *suite) sigstop(t *testing.T) {
	s.namespace(t, "sigstop")
	p := startWebhook(t, s.bin, s.certDir, s.port)
	s.waitRewriting(t, "sigstop")
	f, st := s.measure(t, "sigstop", "SIGSTOP 7s (timeoutSeconds 5)", func(d time.Duration) {
		time.Sleep(d / 4)
		p.signal(t, syscall.SIGSTOP)
		time.Sleep(7 * time.Second)
		p.signal(t, syscall.SIGCONT)
	})
	noneLost(t, f, st)
	if f.unchanged == 0 || f.failOpen == 0 {
		t.Errorf("want pods admitted unchanged after the timeout, counted by the API server as fail-open: %+v", f)
	}
	s.waitRewriting(t, "sigstop")
	p.signal(t, syscall.SIGTERM)
	if err := p.wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	f.note = "unchanged = answered after the timeout"
	s.record(f)
}

// rolling: two processes behind a balancer that follows readiness; each in
// turn gets SIGTERM and is replaced. Shutdown drops readiness first, keeps
// answering (closing connections) for --shutdown-delay, then drains: no
// request fails open.
func (s *suite) rolling(t *testing.T) {
	s.namespace(t, "rolling")
	b := startBalancer(t, s.port)
	start := func() *webhookProc {
		return startWebhook(t, s.bin, s.certDir, e2e.FreePort(t), "--shutdown-delay", "2s")
	}
	a, c := start(), start()
	b.set(a, c)
	s.waitRewriting(t, "rolling")
	b.refused.Store(0) // count from the stream on, not while the probes warmed up
	f, st := s.measure(t, "rolling", "rolling restart (SIGTERM, replace; twice)", func(d time.Duration) {
		replace := func(old, other *webhookProc) *webhookProc {
			old.signal(t, syscall.SIGTERM)
			if err := old.wait(); err != nil {
				t.Errorf("exit after SIGTERM: %v", err)
			}
			fresh := start()
			b.set(other, fresh)
			return fresh
		}
		time.Sleep(d / 4)
		a = replace(a, c)
		time.Sleep(d / 4)
		replace(c, a)
	})
	noneLost(t, f, st)
	if f.failOpen != 0 || f.unchanged != 0 || b.refused.Load() != 0 {
		t.Errorf("a rolling restart failed open: %+v, %d connections without a ready backend", f, b.refused.Load())
	}
	f.note = "two processes, each replaced in turn"
	s.record(f)
}

// hostile: while the stream runs, a pod with 10,000 containers goes through
// the API server (dry run: etcd would refuse its size, admission does not),
// a 7 MiB body is posted straight to the webhook, and hostileReviewers
// clients post 2 MiB reviews of 37,000 containers straight to it, over and
// over, for half the stream. The big pod comes back as written (past
// --max-pod-images), the 7 MiB body gets an HTTP 200 AdmissionReview, the
// stream's pods are all rewritten meanwhile (none fails open), and the
// process's peak RSS stays under the chart's memory limit: the bounds of
// docs/operations.md#memory-sizing, on the real binary.
func (s *suite) hostile(t *testing.T) {
	s.namespace(t, "hostile")
	p := startWebhook(t, s.bin, s.certDir, s.port)
	s.waitRewriting(t, "hostile")
	limit, err := e2e.WebhookMemoryLimit()
	if err != nil {
		t.Fatal(err)
	}
	var bigRewritten int
	var bigErr, bodyErr error
	var bigTook, bodyTook time.Duration
	var bodyStatus int
	var reviews answers
	f, st := s.measure(t, "hostile", fmt.Sprintf("hostile input (10,000 containers; 7 MiB body; %d clients of 2 MiB reviews)", hostileReviewers), func(d time.Duration) {
		time.Sleep(d / 4)
		var wg sync.WaitGroup
		wg.Go(func() {
			start := time.Now()
			bigRewritten, bigErr = s.bigPod(t)
			bigTook = time.Since(start)
		})
		wg.Go(func() {
			start := time.Now()
			bodyStatus, bodyErr = s.post(padded(7 << 20))
			bodyTook = time.Since(start)
		})
		review := wideReview(2 << 20)
		until := time.Now().Add(d / 2)
		for range hostileReviewers {
			wg.Go(func() {
				for time.Now().Before(until) {
					reviews.add(s.post(review))
				}
			})
		}
		wg.Wait()
	})
	peak, err := peakRSS(p.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	noneLost(t, f, st)
	if f.unchanged != 0 || f.failOpen != 0 {
		t.Errorf("other pods were not answered while the hostile input was: %+v", f)
	}
	if bigErr != nil || bigRewritten != 0 {
		t.Errorf("10,000-container pod: %d rewritten, error %v; want it admitted as written", bigRewritten, bigErr)
	}
	if bodyErr != nil || bodyStatus != http.StatusOK {
		t.Errorf("7 MiB body: HTTP %d, error %v; want an HTTP 200 AdmissionReview", bodyStatus, bodyErr)
	}
	if reviews.total() == 0 || peak >= limit.Value() {
		t.Errorf("2 MiB reviews %v: peak RSS %d bytes, want some answered and the peak under the chart's limit %s", reviews.counts, peak, limit.String())
	}
	f.note = fmt.Sprintf("10,000-container pod admitted as written in %s; 7 MiB body answered in %s; 2 MiB reviews %v; peak RSS %d MiB (limit %s)",
		bigTook.Round(time.Millisecond), bodyTook.Round(time.Millisecond), reviews.counts, peak>>20, limit.String())
	t.Log(f.note)
	s.record(f)
}

// hostileReviewers is how many clients post 2 MiB reviews at once: twice
// what the default --max-request-bytes-in-flight (16 MiB) lets in.
const hostileReviewers = 16

// answers counts the webhook's answers by HTTP status ("error" for none).
type answers struct {
	mu     sync.Mutex
	counts map[string]int
}

func (a *answers) add(status int, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.counts == nil {
		a.counts = map[string]int{}
	}
	key := strconv.Itoa(status)
	if err != nil {
		key = "error"
	}
	a.counts[key]++
}

func (a *answers) total() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, c := range a.counts {
		n += c
	}
	return n
}

// peakRSS is the process's peak resident set size in bytes (VmHWM).
func peakRSS(pid int) (int64, error) {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(status)) {
		if kb, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(kb), " kB"), 10, 64)
			return n << 10, err
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no VmHWM", pid)
}

// bigPod dry-run creates a pod of 10,000 containers and counts the rewritten.
func (s *suite) bigPod(t *testing.T) (int, error) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "big"}}
	for i := range 10000 {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: "c" + strconv.Itoa(i), Image: streamImage})
	}
	got, err := s.cs.CoreV1().Pods("hostile").Create(t.Context(), pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range got.Spec.Containers {
		if c.Image == proxied {
			n++
		}
	}
	return n, nil
}

// padded is a JSON AdmissionReview of size bytes: a pod with no containers
// and one long annotation.
func padded(size int) []byte {
	head := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"x","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","object":{"metadata":{"annotations":{"pad":"`
	tail := `"}}}}}`
	return []byte(head + strings.Repeat("a", size-len(head)-len(tail)) + tail)
}

// wideReview is a JSON AdmissionReview of about size bytes: a pod of as
// many containers as fit, each with the stream's image, as a pod creator
// can make the API server send (mutating admission runs before validation).
func wideReview(size int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"x","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"namespace":"hostile","operation":"CREATE","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"wide"},"spec":{"containers":[`)
	for i := 0; b.Len() < size-100; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"c%d","image":%q}`, i, streamImage)
	}
	b.WriteString(`]}}}}`)
	return b.Bytes()
}

// post sends body straight to the webhook, as a hostile or broken client
// could, and returns the HTTP status.
func (s *suite) post(body []byte) (int, error) {
	resp, err := hostileClient.Post("https://127.0.0.1:"+strconv.Itoa(s.port)+"/mutate-pods", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

// hostileClient posts straight to the webhook.
var hostileClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
	// The body handling is under test here; trust of the serving
	// certificate is the API server's, tested by every other request.
	TLSClientConfig:     &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}, //nolint:gosec // loopback test of body handling
	MaxIdleConnsPerHost: hostileReviewers,
}}
