package webhook

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/resolve"
	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

// servedProxy is a registry that answers a manifest HEAD by repository:
// library/served and library/slow have every tag (slow after a delay),
// library/broken answers 500, library/login 401, anything else 404. It
// counts the manifest requests per path.
type servedProxy struct {
	host, caFile string
	delay        time.Duration
	mu           sync.Mutex
	asked        map[string]int
}

func newServedProxy(t testing.TB, delay time.Duration) *servedProxy {
	t.Helper()
	p := &servedProxy{delay: delay, asked: map[string]int{}}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			return
		}
		p.mu.Lock()
		p.asked[r.URL.Path]++
		p.mu.Unlock()
		repo, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v2/"), "/manifests/")
		switch repo {
		case "library/slow":
			time.Sleep(p.delay)
			fallthrough
		case "library/served":
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			w.Header().Set("Docker-Content-Digest", "sha256:"+strings.Repeat("a", 64))
			w.Header().Set("Content-Length", "10")
		case "library/broken":
			w.WriteHeader(http.StatusInternalServerError)
		case "library/login":
			if user, _, ok := r.BasicAuth(); ok && user == "robot" {
				w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
				w.Header().Set("Docker-Content-Digest", "sha256:"+strings.Repeat("a", 64))
				w.Header().Set("Content-Length", "10")
				return
			}
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.WriteHeader(http.StatusUnauthorized)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	p.host = strings.TrimPrefix(srv.URL, "https://")
	p.caFile = filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(p.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// requests is how many manifest requests reached the proxy for repo.
func (p *servedProxy) requests(repo string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for path, c := range p.asked {
		if strings.HasPrefix(path, "/v2/"+repo+"/manifests/") {
			n += c
		}
	}
	return n
}

// servedFixture is a handler whose config routes docker.io to p, with the
// servedCheck settings given as YAML flow mapping entries.
func servedFixture(t testing.TB, p *servedProxy, settings string) *PodHandler {
	t.Helper()
	cfg, err := config.Parse(fmt.Appendf(nil, "mirrors: [{source: docker.io, target: %q}]\nproxyHealth: {url: \"https://%s/v2/\", caBundle: %q}\nservedCheck: {%s}\n",
		p.host, p.host, p.caFile, settings))
	if err != nil {
		t.Fatal(err)
	}
	state, err := newTestState(cfg)
	if err != nil {
		t.Fatal(err)
	}
	metrics, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return &PodHandler{State: state, Metrics: metrics, Path: PathMutate}
}

// createPod is the CREATE request of a pod with one container per image.
func createPod(t testing.TB, images ...string) admission.Request {
	t.Helper()
	var cs []map[string]string
	for i, image := range images {
		cs = append(cs, map[string]string{"name": fmt.Sprintf("c%d", i), "image": image})
	}
	raw, err := json.Marshal(map[string]any{"metadata": map[string]any{"name": "p"}, "spec": map[string]any{"containers": cs}})
	if err != nil {
		t.Fatal(err)
	}
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID: "u", Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, Operation: admissionv1.Create,
		Namespace: "shop", Object: runtime.RawExtension{Raw: raw},
	}}
}

// decided returns, per container index, the image the answer leaves and the
// pod's not-served annotation.
func decided(t *testing.T, req admission.Request, resp admission.Response) (images []string, notServed map[string]string) {
	t.Helper()
	patched := req.Object.Raw
	if len(resp.Patches) > 0 {
		patched = applyOps(t, patched, mustMarshal(t, resp.Patches))
	}
	var pod struct {
		Metadata struct{ Annotations map[string]string }
		Spec     struct{ Containers []struct{ Image string } }
	}
	if err := json.Unmarshal(patched, &pod); err != nil {
		t.Fatal(err)
	}
	for _, c := range pod.Spec.Containers {
		images = append(images, c.Image)
	}
	if a, ok := pod.Metadata.Annotations[wellknown.AnnotationNotServed]; ok {
		var err error
		if notServed, err = wellknown.DecodeRecord(a); err != nil {
			t.Fatal(err)
		}
	}
	return images, notServed
}

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestServedCheck: an image is rewritten only to a reference the proxy
// serves; a refusal (404) leaves it as written, counted, warned and
// annotated; a check that fails gives no verdict (rewritten, as before); a
// check past the budget follows onTimeout.
func TestServedCheck(t *testing.T) {
	t.Parallel()
	p := newServedProxy(t, 2*time.Second)
	tests := []struct {
		name, settings, image string
		outcome               rewrite.Outcome
		check                 string // the result counted
	}{
		{"served", "", "nginx-served", rewrite.OutcomeRewritten, checkServed},
		{"not served: 404", "", "library/missing@sha256:" + strings.Repeat("b", 64), rewrite.OutcomeNotServed, checkNotServed},
		{"server error: no verdict", "", "library/broken:1", rewrite.OutcomeRewritten, checkError},
		// Without the proxy's login, a 401 says nothing of the reference.
		{"unauthorized: no verdict", "", "library/login:1", rewrite.OutcomeRewritten, checkError},
		{"past the budget, direct", "budget: 50ms", "library/slow:1", rewrite.OutcomeNotServed, checkTimeout},
		{"past the budget, rewrite", "budget: 50ms, onTimeout: rewrite", "library/slow:2", rewrite.OutcomeRewritten, checkTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := servedFixture(t, p, tt.settings)
			image := strings.Replace(tt.image, "nginx-served", "library/served:1", 1)
			req := createPod(t, image)
			start := time.Now()
			resp := h.Handle(t.Context(), req)
			if took := time.Since(start); took > time.Second {
				t.Errorf("the admission took %s, past its budget", took)
			}
			images, notServed := decided(t, req, resp)
			proxied := p.host + "/" + image
			want, wantRecord := proxied, map[string]string(nil)
			if tt.outcome == rewrite.OutcomeNotServed {
				want, wantRecord = image, map[string]string{"c0": proxied}
				if len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], "proxy not known to serve "+proxied+", kept "+image) {
					t.Errorf("warnings %q, want the not-served line", resp.Warnings)
				}
			}
			if images[0] != want || fmt.Sprint(notServed) != fmt.Sprint(wantRecord) {
				t.Errorf("image %s, record %v; want %s, %v", images[0], notServed, want, wantRecord)
			}
			counted := testutil.ToFloat64(h.Metrics.images.WithLabelValues("docker.io", string(tt.outcome)))
			checks := testutil.ToFloat64(h.Metrics.servedChecks.WithLabelValues(tt.check))
			if counted != 1 || checks != 1 {
				t.Errorf("%s{outcome=%s} %v, %s{result=%s} %v; want 1 each", wellknown.MetricImages, tt.outcome, counted, wellknown.MetricServedChecks, tt.check, checks)
			}
		})
	}
}

// TestServedCheckMountedLogin: a dockerConfig file that is not there yet (the
// chart's optional pull-secret volume before the Secret exists) loads, and
// checks go anonymous (401: no verdict, rewritten); once the file appears
// the next check logs in with it. A file that is there but unreadable as a
// docker config still fails the config.
func TestServedCheckMountedLogin(t *testing.T) {
	t.Parallel()
	p := newServedProxy(t, 0)
	path := filepath.Join(t.TempDir(), "pull-secret", ".dockerconfigjson")
	h := servedFixture(t, p, fmt.Sprintf("dockerConfig: %q", path))
	steps := []struct {
		name, image, check string
		write              string // the file's content before the step; "" leaves it
	}{
		{"no file: anonymous", "library/login:1", checkError, ""},
		{"file written: logged in", "library/login:2", checkServed, fmt.Sprintf(`{"auths": {%q: {"username": "robot", "password": "x"}}}`, p.host)},
	}
	for _, s := range steps {
		if s.write != "" {
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(s.write), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		req := createPod(t, s.image)
		if images, _ := decided(t, req, h.Handle(t.Context(), req)); images[0] != p.host+"/"+s.image {
			t.Errorf("%s: image %s, want it rewritten", s.name, images[0])
		}
		if got := testutil.ToFloat64(h.Metrics.servedChecks.WithLabelValues(s.check)); got != 1 {
			t.Errorf("%s: %s{result=%s} %v, want 1", s.name, wellknown.MetricServedChecks, s.check, got)
		}
	}
	bad := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(bad, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(fmt.Appendf(nil, "mirrors: [{source: docker.io, target: %q}]\nservedCheck: {dockerConfig: %q}\n", p.host, bad))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newTestState(cfg); err == nil || !strings.Contains(err.Error(), "servedCheck.dockerConfig") {
		t.Errorf("NewState with an unreadable docker config: %v, want an error naming servedCheck.dockerConfig", err)
	}
}

// TestServedCheckCaches: a verdict is asked once and then cached, served and
// not-served alike, until its TTL ends; concurrent admissions of one
// reference share one check; the cache keeps at most maxEntries.
func TestServedCheckCaches(t *testing.T) {
	t.Parallel()
	p := newServedProxy(t, 200*time.Millisecond)
	h := servedFixture(t, p, "notServedTTL: 300ms, maxEntries: 2")
	for range 3 {
		h.Handle(t.Context(), createPod(t, "library/served:1", "library/absent:1", "library/absent:1"))
	}
	if got, absent := p.requests("library/served"), p.requests("library/absent"); got != 1 || absent != 1 {
		t.Errorf("three admissions asked %d and %d times; want once each", got, absent)
	}
	time.Sleep(400 * time.Millisecond) // the refusal expires, the served verdict does not
	h.Handle(t.Context(), createPod(t, "library/served:1", "library/absent:1"))
	if got, absent := p.requests("library/served"), p.requests("library/absent"); got != 1 || absent != 2 {
		t.Errorf("after notServedTTL: asked %d and %d times; want 1 and 2", got, absent)
	}

	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { h.Handle(t.Context(), createPod(t, "library/slow:1")) })
	}
	wg.Wait()
	if got := p.requests("library/slow"); got != 1 {
		t.Errorf("20 concurrent admissions of one reference sent %d checks, want 1", got)
	}
	if n := h.State.verdicts.len(); n != 2 {
		t.Errorf("%d verdicts kept, want maxEntries (2)", n)
	}
	// The least recently used (library/served, then library/absent) went first.
	h.Handle(t.Context(), createPod(t, "library/served:1"))
	if got := p.requests("library/served"); got != 2 {
		t.Errorf("an evicted verdict was not asked again: %d checks", got)
	}
}

// TestServedCheckOff: with servedCheck off, nothing is asked.
func TestServedCheckOff(t *testing.T) {
	t.Parallel()
	p := newServedProxy(t, 0)
	h := servedFixture(t, p, "enabled: false")
	req := createPod(t, "library/absent:1")
	images, _ := decided(t, req, h.Handle(t.Context(), req))
	if images[0] != p.host+"/library/absent:1" || p.requests("library/absent") != 0 {
		t.Errorf("image %s after %d checks; want it rewritten unasked", images[0], p.requests("library/absent"))
	}
}

// TestRecordVerdict: a verdict learnt elsewhere decides without asking, for
// its TTL counted from when it was checked.
func TestRecordVerdict(t *testing.T) {
	t.Parallel()
	p := newServedProxy(t, 0)
	h := servedFixture(t, p, "")
	h.State.RecordVerdict(p.host+"/library/served:1", VerdictNotServed, time.Now())
	h.State.RecordVerdict(p.host+"/library/absent:1", VerdictServed, time.Now().Add(-time.Hour)) // expired
	req := createPod(t, "library/served:1", "library/absent:1")
	images, _ := decided(t, req, h.Handle(t.Context(), req))
	if images[0] != "library/served:1" || p.requests("library/served") != 0 {
		t.Errorf("recorded not-served: %s after %d checks; want it left as written unasked", images[0], p.requests("library/served"))
	}
	if images[1] != "library/absent:1" || p.requests("library/absent") != 1 {
		t.Errorf("expired record: %s after %d checks; want it asked (404) and left as written", images[1], p.requests("library/absent"))
	}
}

// panickingKeychain panics when asked for a login.
type panickingKeychain struct{}

func (panickingKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { panic("keychain") }

// TestCheckOnceRecovers: a panic in the registry client is a failed check,
// never a crash of the webhook.
func TestCheckOnceRecovers(t *testing.T) {
	t.Parallel()
	p := newServedProxy(t, 0)
	transport, err := resolve.Transport(p.caFile, []string{p.host})
	if err != nil {
		t.Fatal(err)
	}
	got := checkOnce(t.Context(), transport, panickingKeychain{}, p.host+"/library/served:1")
	if got.Status != resolve.StatusUnreachable || got.Err == nil || !strings.Contains(got.Err.Error(), "panic: keychain") {
		t.Errorf("checkOnce = %s (%v), want unreachable naming the panic", got.Status, got.Err)
	}
}
