//go:build faults

package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/pullthrough/pullthrough/migrate"
	"github.com/pullthrough/pullthrough/wellknown"
)

// faultProxy stands between the migrator and the API server and, while
// armed, answers PATCHes by the target's name: fail-* always 500, conflict-*
// 409 once, slow-* are applied by the API server but answered only after the
// client gave up. Everything else passes through.
type faultProxy struct {
	mu      sync.Mutex
	armed   bool
	seen    map[string]int // PATCHes per object name
	faults  map[string]int // injected, by kind
	backend http.Handler
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := path.Base(r.URL.Path)
	p.mu.Lock()
	armed := p.armed && r.Method == http.MethodPatch
	if armed {
		p.seen[name]++
	}
	n := p.seen[name]
	p.mu.Unlock()
	switch {
	case armed && strings.HasPrefix(name, "fail-"):
		p.count("500")
		writeStatus(w, http.StatusInternalServerError, "InternalError", "injected: etcd is unhappy")
	case armed && strings.HasPrefix(name, "conflict-") && n == 1:
		p.count("409")
		writeStatus(w, http.StatusConflict, "Conflict", "injected: the object has been modified")
	case armed && strings.HasPrefix(name, "slow-") && n == 1:
		p.count("timeout")
		rec := &discard{header: http.Header{}}
		p.backend.ServeHTTP(rec, r) // the API server applies it...
		select {                    // ...and the answer never comes in time
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	default:
		p.backend.ServeHTTP(w, r)
	}
}

func (p *faultProxy) count(kind string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults[kind]++
}

func (p *faultProxy) arm(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.armed = on
}

// discard is a ResponseWriter that keeps nothing.
type discard struct{ header http.Header }

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// writeStatus answers as the API server does, with a metav1.Status.
func writeStatus(w http.ResponseWriter, code int, reason, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure, Code: int32(code), Reason: metav1.StatusReason(reason), Message: message,
	})
}

// startFaultProxy serves the proxy on loopback HTTP and returns a
// kubeconfig file that points at it (the proxy holds the credentials).
func startFaultProxy(t *testing.T, admin *rest.Config) (*faultProxy, string) {
	t.Helper()
	target, err := url.Parse(admin.Host)
	if err != nil {
		t.Fatal(err)
	}
	transport, err := rest.TransportFor(admin)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = transport
	p := &faultProxy{seen: map[string]int{}, faults: map[string]int{}, backend: rp}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	text := fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters: [{name: proxy, cluster: {server: \"http://%s\"}}]\n"+
		"users: [{name: proxy, user: {}}]\ncontexts: [{name: proxy, context: {cluster: proxy, user: proxy}}]\ncurrent-context: proxy\n", ln.Addr())
	if err := os.WriteFile(kubeconfig, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p, kubeconfig
}

// migrator: the migrator runs through the fault proxy. The first run retries
// the 409s and the timed-out patch (which had landed), reports the objects
// that always fail and exits 1; a second run, faults off, finishes; every
// object then records exactly its one original, once.
func (s *suite) migrator(t *testing.T, admin *rest.Config) {
	s.namespace(t, "migrator")
	names := []string{"fail-0", "fail-1", "conflict-0", "conflict-1", "slow-0", "ok-0", "ok-1", "ok-2"}
	for _, name := range names {
		labels := map[string]string{"app": name}
		d := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "migrator"},
			Spec: appsv1.DeploymentSpec{
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: streamImage}}},
				},
			},
		}
		if _, err := s.cs.AppsV1().Deployments("migrator").Create(t.Context(), d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	proxy, kubeconfig := startFaultProxy(t, admin)
	run := func() (int, *migrate.Report, string) {
		cmd := exec.Command(s.bin, "migrate", "--config", "../testdata/config.yaml", "--kubeconfig", kubeconfig,
			"-n", "migrator", "--apply", "-o", "json", "--request-timeout", "2s")
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		_ = cmd.Run()
		var r migrate.Report
		if err := json.Unmarshal([]byte(stdout.String()), &r); err != nil {
			t.Fatalf("report: %v\n%s\n%s", err, stdout.String(), stderr.String())
		}
		return cmd.ProcessState.ExitCode(), &r, stderr.String()
	}
	proxy.arm(true)
	code1, r1, log1 := run()
	proxy.arm(false)
	if code1 != 1 || r1.Totals.Failed != 2 || r1.Totals.Objects[migrate.StatusPatched] != 5 {
		t.Errorf("first run: exit %d, %v; want 1, 2 failed (fail-*), 5 patched\n%s", code1, r1.Totals.Objects, log1)
	}
	retried := 0
	for _, o := range r1.Objects {
		if o.Retried {
			retried++
		}
		if o.Status == migrate.StatusFailed && !strings.HasPrefix(o.Name, "fail-") {
			t.Errorf("%s failed: %s", o.Name, o.Error)
		}
	}
	code2, r2, log2 := run()
	if code2 != 0 || r2.Totals.Objects[migrate.StatusPatched] != 2 {
		t.Errorf("second run: exit %d, %v; want 0, the 2 left patched\n%s", code2, r2.Totals.Objects, log2)
	}
	exact := 0
	for _, name := range names {
		d, err := s.cs.AppsV1().Deployments("migrator").Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := `{"/spec/template/spec/containers/0/image":"` + streamImage + `"}`
		image := d.Spec.Template.Spec.Containers[0].Image
		if got := d.Annotations[wellknown.AnnotationMigratedImages]; got != want || image != proxied {
			t.Errorf("%s: image %q, record %q; want %q, %q", name, image, got, proxied, want)
			continue
		}
		exact++
	}
	proxy.mu.Lock()
	injected := fmt.Sprintf("injected %d×500, %d×409, %d×timeout", proxy.faults["500"], proxy.faults["409"], proxy.faults["timeout"])
	proxy.mu.Unlock()
	s.record(figures{fault: "migrator through a fault proxy", note: fmt.Sprintf(
		"%d Deployments; %s; run 1 exit %d (%d patched, %d retried, %d failed and reported), run 2 exit %d (%d patched); records exact: %d/%d",
		len(names), injected, code1, r1.Totals.Objects[migrate.StatusPatched], retried, r1.Totals.Failed, code2,
		r2.Totals.Objects[migrate.StatusPatched], exact, len(names))})
}
