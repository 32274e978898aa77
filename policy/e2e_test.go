package policy

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/e2e/kit"
	"github.com/pullthrough/pullthrough/selftest"
	"github.com/pullthrough/pullthrough/webhook"
	"github.com/pullthrough/pullthrough/wellknown"
)

// injectorImage is what the stand-in for Istio's injector adds.
const injectorImage = "docker.io/istio/proxyv2:1.22.0"

// policyEnv is a real kube-apiserver with the generated policies and a
// stand-in injector installed, and no pullthrough process anywhere.
type policyEnv struct {
	rc   *rest.Config
	cs   kubernetes.Interface
	cfg  *config.Config
	hook *webhookEngine // the reference the API server's answers are held to
	// audit is the webhook's audit path, the reference for warnings there.
	audit *webhookEngine
	// warnings are those of the last request (requests are sequential).
	warnings *kit.Warnings
}

// startPolicyEnv applies the generated policies on a real API server, or
// returns nil when the server is older than the policy engine supports
// (having checked that it does not serve the API).
func startPolicyEnv(t *testing.T) *policyEnv {
	t.Helper()
	return startPolicyEnvConfig(t, "paths")
}

// startPolicyEnvConfig is startPolicyEnv with testConfigs[name].
func startPolicyEnvConfig(t *testing.T, name string) *policyEnv {
	t.Helper()
	return startPolicyEnvYAML(t, testConfigs[name])
}

// startPolicyEnvYAML is startPolicyEnv with the config doc.
func startPolicyEnvYAML(t *testing.T, doc string) *policyEnv {
	t.Helper()
	c := cluster.StartForTest(t, cluster.Options{})
	if !c.ServesAdmissionPolicies(t) {
		return nil
	}
	rc := rest.CopyConfig(c.Config())
	warnings := &kit.Warnings{}
	rc.WarningHandler = warnings
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	set, err := Generate(cfg, Options{Guard: GuardWarn})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	api := cs.AdmissionregistrationV1()
	for _, p := range append(set.Mutating, injectorPolicy()) {
		if _, err := api.MutatingAdmissionPolicies().Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create MutatingAdmissionPolicy %s (is admissionregistration.k8s.io/v1 served?): %v", p.Name, err)
		}
	}
	for _, b := range append(set.MutatingBindings, injectorBinding()) {
		if _, err := api.MutatingAdmissionPolicyBindings().Create(ctx, b, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create binding %s: %v", b.Name, err)
		}
	}
	for _, p := range set.Validating {
		if _, err := api.ValidatingAdmissionPolicies().Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create ValidatingAdmissionPolicy %s: %v", p.Name, err)
		}
	}
	for _, b := range set.ValidatingBindings {
		if _, err := api.ValidatingAdmissionPolicyBindings().Create(ctx, b, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create binding %s: %v", b.Name, err)
		}
	}
	for ns, mode := range map[string]config.Mode{"team": "", "labelled": "enforce", "audited": "audit", "off": "off", "typo": "Audti", "excluded": ""} {
		kit.Namespace(t, cs, ns, kit.ModeLabels(mode))
	}
	kit.Namespace(t, cs, "inject", map[string]string{"inject": "true"})
	e := &policyEnv{rc: c.Config(), cs: cs, cfg: cfg, warnings: warnings, hook: newWebhookEngine(t, cfg, webhook.PathMutate), audit: newWebhookEngine(t, cfg, webhook.PathAudit)}
	e.waitActive(t)
	return e
}

// waitActive polls with dry-run creates until the API server applies the
// policy: it loads policies asynchronously.
func (e *policyEnv) waitActive(t *testing.T) {
	t.Helper()
	probe := podOf([]string{"a=nginx"}, nil, nil)
	err := wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		got, err := e.dryRun(ctx, "team", probe)
		return err == nil && got.Spec.Containers[0].Image != "nginx", nil
	})
	if err != nil {
		t.Fatalf("the policy never rewrote a pod: %v", err)
	}
}

// dryRun creates p in ns with server-side dry run and returns what the API
// server would store.
func (e *policyEnv) dryRun(ctx context.Context, ns string, p *corev1.Pod) (*corev1.Pod, error) {
	p = p.DeepCopy()
	p.Namespace = ns
	return e.cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
}

// pulled is what admission decides about a pod: every image, the
// original-images annotation and the pull secrets. The API server's defaults
// (pull policy, termination message path) are not admission's business.
func pulled(p *corev1.Pod) string {
	var b strings.Builder
	for _, c := range p.Spec.InitContainers {
		fmt.Fprintf(&b, "init %s=%s\n", c.Name, c.Image)
	}
	for _, c := range p.Spec.Containers {
		fmt.Fprintf(&b, "container %s=%s\n", c.Name, c.Image)
	}
	for _, c := range p.Spec.EphemeralContainers {
		fmt.Fprintf(&b, "ephemeral %s=%s\n", c.Name, c.Image)
	}
	for _, v := range p.Spec.Volumes {
		if v.Image != nil {
			fmt.Fprintf(&b, "volume %s=%s\n", v.Name, v.Image.Reference)
		}
	}
	fmt.Fprintf(&b, "annotation %s\n", p.Annotations[wellknown.AnnotationOriginalImages])
	for _, s := range p.Spec.ImagePullSecrets {
		fmt.Fprintf(&b, "secret %s\n", s.Name)
	}
	return b.String()
}

// TestPolicyOnAPIServer holds the generated policy, run by a real
// kube-apiserver with no pullthrough process, to the webhook's decisions.
func TestPolicyOnAPIServer(t *testing.T) {
	e := startPolicyEnv(t)
	if e == nil {
		return
	}
	ctx := t.Context()

	t.Run("generated references and the corpus", func(t *testing.T) {
		refs := append(generatedReferences(2000), corpus(t)...)
		refs = slices.DeleteFunc(refs, func(s string) bool { return s == "" || strings.TrimSpace(s) != s })
		const perPod = 50
		for start := 0; start < len(refs); start += perPod {
			var cs []string
			for i, r := range refs[start:min(start+perPod, len(refs))] {
				cs = append(cs, fmt.Sprintf("c%d=%s", i, r))
			}
			e.expectWebhook(ctx, t, "team", podOf(cs, nil, nil))
		}
	})
	t.Run("every location", func(t *testing.T) {
		p := with(podOf([]string{"app=ghcr.io/acme/app:1"}, []string{"init=quay.io/calico/cni:v3", "native=docker.io/bitnami/redis"}, nil),
			imageVolume("models", "ghcr.io/acme/models:v1"))
		e.expectWebhook(ctx, t, "team", p)
		e.expectWebhook(ctx, t, "labelled", p)
	})
	t.Run("namespaces the webhook leaves alone", func(t *testing.T) {
		p := podOf([]string{"app=ghcr.io/acme/app:1"}, nil, nil)
		for _, ns := range []string{"audited", "off", "typo", "excluded"} {
			got, err := e.dryRun(ctx, ns, p)
			if err != nil {
				t.Fatal(err)
			}
			if got.Spec.Containers[0].Image != "ghcr.io/acme/app:1" || got.Annotations[wellknown.AnnotationOriginalImages] != "" {
				t.Errorf("namespace %s: the policy changed the pod:\n%s", ns, pulled(got))
			}
		}
	})
	t.Run("reinvocation after an injector", func(t *testing.T) {
		got, err := e.dryRun(ctx, "inject", podOf([]string{"app=ghcr.io/acme/app:1"}, nil, nil))
		if err != nil {
			t.Fatal(err)
		}
		want := podOf([]string{"app=ghcr.io/acme/app:1"}, []string{"istio-proxy=" + injectorImage}, nil)
		want, _, _ = e.hook.admit(t, request{op: admission.Create, namespace: "inject", pod: want})
		if pulled(got) != pulled(want) {
			t.Errorf("injected sidecar:\n policy:  %s\n webhook: %s", pulled(got), pulled(want))
		}
	})
	t.Run("warnings", func(t *testing.T) {
		p := podOf([]string{"app=ghcr.io/acme/app:1", "gpu=nvcr.io/nvidia/cuda:12", "own=registry.internal/x"}, nil, nil)
		for _, tc := range []struct {
			ns     string
			engine *webhookEngine
			extra  []string
		}{
			{"audited", e.audit, nil},
			{"typo", e.audit, []string{wellknown.WarningUnknownMode}},
			{"team", e.hook, nil},
		} {
			_, want, _ := tc.engine.admit(t, request{op: admission.Create, namespace: tc.ns, pod: p})
			// enforce's rewrite lines are not sent in policy mode
			// (docs/policy-engine.md, "Differences").
			want = slices.DeleteFunc(want, func(w string) bool { return strings.Contains(w, " -> ") })
			want = append(want, tc.extra...)
			got := e.waitWarnings(t, tc.ns, p, len(want))
			if !slices.Equal(got, slices.Sorted(slices.Values(want))) {
				t.Errorf("namespace %s: warnings\n policy:  %q\n webhook: %q", tc.ns, got, want)
			}
		}
	})
	t.Run("kubectl debug", func(t *testing.T) {
		p := podOf([]string{"app=registry.internal/app"}, nil, nil)
		p.Namespace = "team"
		created, err := e.cs.CoreV1().Pods("team").Create(ctx, p, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		debug := created.DeepCopy()
		debug.Spec.EphemeralContainers = append(debug.Spec.EphemeralContainers, corev1.EphemeralContainer{
			EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug", Image: "nicolaka/netshoot:v0.13", TerminationMessagePolicy: corev1.TerminationMessageReadFile, ImagePullPolicy: corev1.PullIfNotPresent}})
		got, err := e.cs.CoreV1().Pods("team").UpdateEphemeralContainers(ctx, p.Name, debug, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil {
			t.Fatal(err)
		}
		want, _, _ := e.hook.admit(t, request{op: admission.Update, subResource: "ephemeralcontainers", namespace: "team", pod: debug, old: created})
		if pulled(got) != pulled(want) {
			t.Errorf("ephemeral container:\n policy:  %s\n webhook: %s", pulled(got), pulled(want))
		}
	})
	t.Run("pullthrough selftest against the policy engine", func(t *testing.T) {
		checks, err := selftest.Run(ctx, e.rc, e.cfg, "pullthrough-selftest", []selftest.Target{
			{Namespace: "team", Mode: config.ModeEnforce}, {Namespace: "audited", Mode: config.ModeAudit}, {Namespace: "typo", Mode: config.ModeAudit}})
		if err != nil {
			t.Fatalf("selftest: %v (%+v)", err, checks)
		}
		// It can fail: nothing acts in an off namespace.
		if _, err := selftest.Run(ctx, e.rc, e.cfg, "pullthrough-selftest", []selftest.Target{{Namespace: "off", Mode: config.ModeEnforce}}); err == nil {
			t.Error("selftest passed in a namespace labelled off")
		}
	})
	t.Run("past the cost limit: admitted unchanged, and the guard warns", func(t *testing.T) {
		big := widePod(700)
		big.Name = "big" // p is the kubectl debug subtest's
		got := e.waitWarnings(t, "team", big, 1)
		want := wellknown.WarningTooManyImages("700", GuaranteedImages)
		if !slices.Contains(got, want) {
			t.Errorf("warnings %q, want %q", got, want)
		}
		stored, err := e.dryRun(ctx, "team", big)
		if err != nil {
			t.Fatal(err)
		}
		if pulled(stored) != pulled(big) {
			t.Errorf("a pod past the cost limit was changed:\n%.500s", pulled(stored))
		}
		// Within the limit the rewrite happened: no capacity warning.
		e.warnings.Take()
		within := widePod(200)
		within.Name = "big"
		rewritten, err := e.dryRun(ctx, "team", within)
		if err != nil {
			t.Fatal(err)
		}
		if rewritten.Annotations[wellknown.AnnotationOriginalImages] == "" {
			t.Fatal("a pod of 200 containers was not rewritten")
		}
		if w := e.warnings.Take(); len(w) != 0 {
			t.Errorf("warnings for a rewritten pod of 200 containers: %q", w)
		}
	})
	// Last: it takes the rewrite away, as a webhook that failed open would.
	t.Run("the guard catches a pod the rewrite missed", func(t *testing.T) {
		for _, b := range []string{NameRewrite, NameRewrite + "-enforce"} {
			if err := e.cs.AdmissionregistrationV1().MutatingAdmissionPolicyBindings().Delete(ctx, b, metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		got := e.waitWarnings(t, "labelled", podOf([]string{"app=ghcr.io/acme/app:1", "own=registry.internal/x"}, nil, nil), 1)
		want := "pullthrough guard: not rewritten, still pulled from a public registry: app: ghcr.io/acme/app:1"
		if !slices.Contains(got, want) {
			t.Errorf("guard warnings %q, want %q", got, want)
		}
		// An image the webhook left as written because the proxy does not
		// serve it (its not-served record, with the reference refused) is no
		// missed rewrite; a record naming another reference proves nothing.
		rw, err := e.cfg.Rewriter()
		if err != nil {
			t.Fatal(err)
		}
		record := func(image string) string {
			return wellknown.EncodeRecord(map[string]string{"app": rw.Rewrite(image).Image})
		}
		two := podOf([]string{"app=ghcr.io/acme/app:1", "web=ghcr.io/acme/web:1"}, nil, nil)
		got = e.waitWarnings(t, "labelled", with(two, annotated(wellknown.AnnotationNotServed, record("ghcr.io/acme/app:1"))), 1)
		want = "pullthrough guard: not rewritten, still pulled from a public registry: web: ghcr.io/acme/web:1"
		if !slices.Contains(got, want) {
			t.Errorf("with app not served: guard warnings %q, want %q", got, want)
		}
		got = e.waitWarnings(t, "labelled", with(two, annotated(wellknown.AnnotationNotServed, record("ghcr.io/acme/other:1"))), 1)
		want = "pullthrough guard: not rewritten, still pulled from a public registry: app: ghcr.io/acme/app:1, web: ghcr.io/acme/web:1"
		if !slices.Contains(got, want) {
			t.Errorf("with a record of another reference: guard warnings %q, want %q", got, want)
		}
	})
}

// expectWebhook dry-run creates p in ns and requires the webhook's decisions.
func (e *policyEnv) expectWebhook(ctx context.Context, t *testing.T, ns string, p *corev1.Pod) {
	t.Helper()
	got, err := e.dryRun(ctx, ns, p)
	if err != nil {
		t.Fatal(err)
	}
	labels, err := e.cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := e.hook.admit(t, request{op: admission.Create, namespace: ns, nsLabels: labels.Labels, pod: p})
	if g, w := pulled(got), pulled(want); g != w {
		t.Errorf("namespace %s: the API server's policy and the webhook disagree:\n policy:\n%s webhook:\n%s", ns, g, w)
	}
}

// generatedReferences draws n references from the parts that trip parsers
// and routers: every spelling of a mirrored registry (case, :443 and leading
// zeros, Docker Hub's aliases), ports, IPv6, path-boundary near misses, tags,
// digests of each algorithm and malformed ones, and junk.
func generatedReferences(n int) []string {
	rnd := rand.New(rand.NewPCG(20, 1))
	hex := strings.Repeat("0123456789abcdef", 8)
	hosts := []string{"", "", "docker.io/", "Docker.IO/", "index.docker.io/", "registry-1.docker.io:443/", "registry.hub.docker.com/",
		"ghcr.io/", "GHCR.io:0443/", "ghcr.io:4430/", "quay.io/", "registry.local:5000/", "registry.local:05000/", "registry.local/",
		"proxy.example.internal/ghcr/", "proxy.example.internal:443/dockerhub/", "mcr.microsoft.com/", "eu.gcr.io/", "x.azurecr.io/",
		"localhost:5000/", "localhost/", "[::1]:5000/", "docker.io.evil.com/", "public.ecr.aws/", "registry.k8s.io/", "Quay.IO/"}
	paths := []string{"nginx", "library/nginx", "bitnami/redis", "bit/x", "bitnamix/y", "acme/app", "acme/secret", "skip/a", "library/busybox",
		"busybox", "alpine", "a_b", "A", "x--y", "x__y", "calico/node", "a/b/c/d", "library/te", "test", strings.Repeat("p", 200)}
	tags := []string{"", "", ":1", ":latest", ":3.9", ":3.19", ":V1.0_x", ":-bad", ":" + strings.Repeat("t", 129)}
	digests := []string{"", "", "@sha256:" + hex[:64], "@sha512:" + hex[:128], "@sha256:" + strings.ToUpper(hex[:64]), "@md5:" + hex[:32], "@sha256:" + hex[:63]}
	junk := []string{"", "", "", "/", ":", "@", "//", "Ä", "..", "#"}
	pick := func(s []string) string { return s[rnd.IntN(len(s))] }
	out := make([]string, n)
	for i := range out {
		ref := pick(hosts) + pick(paths) + pick(tags) + pick(digests)
		if j := pick(junk); j != "" {
			at := rnd.IntN(len(ref) + 1)
			ref = ref[:at] + j + ref[at:]
		}
		out[i] = ref
	}
	return out
}

// injectorPolicy is a stand-in for Istio's sidecar injector: a second
// MutatingAdmissionPolicy that adds a native sidecar from Docker Hub to the
// pods of namespaces labelled inject=true.
func injectorPolicy() *admissionregistrationv1.MutatingAdmissionPolicy {
	p := &admissionregistrationv1.MutatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "zz-injector"},
		Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{
			MatchConstraints: podRules(),
			MatchConditions:  []admissionregistrationv1.MatchCondition{{Name: "create", Expression: "request.operation == 'CREATE' && !(has(object.spec.initContainers) && object.spec.initContainers.exists(c, c.name == 'istio-proxy'))"}},
			Mutations: []admissionregistrationv1.Mutation{{
				PatchType: admissionregistrationv1.PatchTypeJSONPatch,
				JSONPatch: &admissionregistrationv1.JSONPatch{Expression: fmt.Sprintf(
					"[has(object.spec.initContainers) ? JSONPatch{op: 'add', path: '/spec/initContainers/-', value: {'name': 'istio-proxy', 'image': %[1]s}} : JSONPatch{op: 'add', path: '/spec/initContainers', value: [{'name': 'istio-proxy', 'image': %[1]s}]}]", lit(injectorImage))},
			}},
			ReinvocationPolicy: admissionregistrationv1.NeverReinvocationPolicy,
		},
	}
	fail := admissionregistrationv1.Fail
	p.Spec.FailurePolicy = &fail
	return p
}

func injectorBinding() *admissionregistrationv1.MutatingAdmissionPolicyBinding {
	return &admissionregistrationv1.MutatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "zz-injector"},
		Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{
			PolicyName:     "zz-injector",
			MatchResources: &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"inject": "true"}}},
		},
	}
}

// waitWarnings dry-run creates p until the API server sends n warnings from
// pullthrough's validating policies (it loads them asynchronously), and
// returns their texts without the API server's prefix, sorted.
func (e *policyEnv) waitWarnings(t *testing.T, ns string, p *corev1.Pod, n int) []string {
	t.Helper()
	var got []string
	err := wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		e.warnings.Take()
		if _, err := e.dryRun(ctx, ns, p); err != nil {
			return false, err
		}
		got = pullthroughWarnings(e.warnings.Take())
		return len(got) >= n, nil
	})
	if err != nil && !wait.Interrupted(err) {
		t.Fatalf("dry-run create in %s: %v", ns, err)
	}
	slices.Sort(got)
	return got
}
