// Package deploy checks the install manifests that hack/render-manifests.sh
// renders from the Helm chart (deploy/manifests), decoded into the Kubernetes
// API types: the properties that keep the webhook's blast radius small, the
// names the chart's parts must agree on, and, on a real API server, that the
// self-signed certificate mode works with exactly the RBAC the chart grants.
// It has no code of its own; hack/lint-chart.sh also runs
// TestRenderedDecodesStrictly on every chart variant it renders.
package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	serializerjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/yaml"

	"github.com/pullthrough/pullthrough/certs"
	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/rewrite"
)

// The rendered files and what hack/render-manifests.sh renders them for.
const (
	manifestsFile    = "manifests/pullthrough.yaml"
	migratorFile     = "manifests/pullthrough-migrator.yaml"
	rbacFile         = "rbac/migrator-clusterrole.yaml" // kept by hand; must grant what the chart grants
	releaseNamespace = "pullthrough-system"
)

// load decodes every document of a rendered file into its API type.
func load(t *testing.T, path string) []runtime.Object {
	t.Helper()
	docs, err := documents(path)
	if err != nil {
		t.Fatal(err)
	}
	objs := make([]runtime.Object, 0, len(docs))
	for i, doc := range docs {
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("%s: document %d: %v", path, i, err)
		}
		objs = append(objs, obj)
	}
	return objs
}

// documents splits a multi-document YAML file, dropping documents that hold
// only comments.
func documents(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := utilyaml.NewYAMLReader(bufio.NewReader(f))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if js, err := yaml.YAMLToJSON(doc); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		} else if !bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
			docs = append(docs, doc)
		}
	}
}

// all returns the objects of type T.
func all[T runtime.Object](objs []runtime.Object) []T {
	var found []T
	for _, o := range objs {
		if typed, ok := o.(T); ok {
			found = append(found, typed)
		}
	}
	return found
}

// only returns the one object of type T, failing t unless there is exactly one.
func only[T runtime.Object](t *testing.T, objs []runtime.Object) T {
	t.Helper()
	found := all[T](objs)
	if len(found) != 1 {
		var zero T
		t.Fatalf("want exactly one %T, found %d", zero, len(found))
	}
	return found[0]
}

// flag returns the value of --name=value in args, or "".
func flag(args []string, name string) string {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
	}
	return ""
}

// TestWebhookSafety checks the settings of both webhooks that decide what a
// broken, slow or reinvoked webhook can do to the cluster's pods.
func TestWebhookSafety(t *testing.T) {
	t.Parallel()
	mwc := only[*admissionregistrationv1.MutatingWebhookConfiguration](t, load(t, manifestsFile))
	if len(mwc.Webhooks) != 2 {
		t.Fatalf("want 2 webhooks (enforce and audit), got %d", len(mwc.Webhooks))
	}
	tests := []struct {
		name string
		// ok reports what is wrong with one webhook, or "".
		ok func(w admissionregistrationv1.MutatingWebhook) string
	}{
		// A webhook that is down must let pods start: pods then pull from
		// the public registry, as they did before pullthrough.
		{"failurePolicy Ignore", func(w admissionregistrationv1.MutatingWebhook) string {
			return want(w.FailurePolicy, admissionregistrationv1.Ignore)
		}},
		// A slow webhook costs each pod creation at most 5 seconds.
		{"timeoutSeconds 5", func(w admissionregistrationv1.MutatingWebhook) string { return want(w.TimeoutSeconds, 5) }},
		// Sidecars injected by later webhooks (Istio) are rewritten on reinvocation.
		{"reinvocationPolicy IfNeeded", func(w admissionregistrationv1.MutatingWebhook) string {
			return want(w.ReinvocationPolicy, admissionregistrationv1.IfNeededReinvocationPolicy)
		}},
		// Dry-run requests are sent too and answered alike.
		{"sideEffects None", func(w admissionregistrationv1.MutatingWebhook) string {
			return want(w.SideEffects, admissionregistrationv1.SideEffectClassNone)
		}},
		{"matchPolicy Equivalent", func(w admissionregistrationv1.MutatingWebhook) string {
			return want(w.MatchPolicy, admissionregistrationv1.Equivalent)
		}},
		// The handler decodes admission.k8s.io/v1 only.
		{"admissionReviewVersions v1", func(w admissionregistrationv1.MutatingWebhook) string {
			return wantEqual(w.AdmissionReviewVersions, []string{"v1"})
		}},
		// kubectl debug adds containers through the subresource; missing it
		// would let an ephemeral container pull from the public registry.
		{"rules: pods CREATE/UPDATE, pods/ephemeralcontainers UPDATE", func(w admissionregistrationv1.MutatingWebhook) string {
			return wantEqual(ruleSet(w.Rules), []string{"CREATE pods", "UPDATE pods", "UPDATE pods/ephemeralcontainers"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, w := range mwc.Webhooks {
				if problem := tt.ok(w); problem != "" {
					t.Errorf("%s: %s", w.Name, problem)
				}
			}
		})
	}
	t.Run("one webhook per path", func(t *testing.T) {
		t.Parallel()
		paths := map[string]string{}
		for _, w := range mwc.Webhooks {
			if s := w.ClientConfig.Service; s != nil && s.Path != nil {
				paths[w.Name] = *s.Path
			}
		}
		wantPaths := map[string]string{"enforce.pullthrough.dev": "/mutate-pods", "audit.pullthrough.dev": "/audit-pods"}
		if problem := wantEqual(paths, wantPaths); problem != "" {
			t.Error(problem)
		}
	})
}

// want compares an optional field with the value it must have.
func want[T comparable](got *T, value T) string {
	if got == nil {
		return fmt.Sprintf("unset, want %v", value)
	}
	if *got != value {
		return fmt.Sprintf("%v, want %v", *got, value)
	}
	return ""
}

// wantEqual compares two values by their printed form, which suffices for
// the slices and maps compared here.
func wantEqual(got, value any) string {
	if g, w := fmt.Sprint(got), fmt.Sprint(value); g != w {
		return fmt.Sprintf("%s, want %s", g, w)
	}
	return ""
}

// ruleSet flattens webhook rules into sorted "OPERATION resource" lines,
// checking that each is for namespaced core/v1 objects.
func ruleSet(rules []admissionregistrationv1.RuleWithOperations) []string {
	var set []string
	for _, r := range rules {
		core := slices.Equal(r.APIGroups, []string{""}) && slices.Equal(r.APIVersions, []string{"v1"}) &&
			r.Scope != nil && *r.Scope == admissionregistrationv1.NamespacedScope
		for _, op := range r.Operations {
			for _, res := range r.Resources {
				line := string(op) + " " + res
				if !core {
					line += " (not namespaced core/v1)"
				}
				set = append(set, line)
			}
		}
	}
	slices.Sort(set)
	return set
}

// TestRouting evaluates both webhooks' selectors as the API server does:
// which webhook, if any, sees a pod in a namespace with given labels.
func TestRouting(t *testing.T) {
	t.Parallel()
	mwc := only[*admissionregistrationv1.MutatingWebhookConfiguration](t, load(t, manifestsFile))
	tests := []struct {
		name      string
		namespace string
		mode      string // the pullthrough.dev/mode label; "" for none
		podLabels map[string]string
		want      string // the webhook that sees the pod; "" for none
	}{
		{name: "unlabelled namespace is enforced", namespace: "shop", want: "enforce.pullthrough.dev"},
		{name: "explicit enforce", namespace: "shop", mode: "enforce", want: "enforce.pullthrough.dev"},
		{name: "audit namespace", namespace: "shop", mode: "audit", want: "audit.pullthrough.dev"},
		{name: "off namespace", namespace: "shop", mode: "off"},
		// The incident: kube-system's CNI and DNS images must be rewritten too.
		{name: "kube-system is not excluded implicitly", namespace: "kube-system", want: "enforce.pullthrough.dev"},
		// The webhook must never admit its own pods, whatever the label says.
		{name: "release namespace", namespace: releaseNamespace},
		{name: "release namespace labelled audit", namespace: releaseNamespace, mode: "audit"},
		{name: "release namespace labelled enforce", namespace: releaseNamespace, mode: "enforce"},
		{name: "pod opted out", namespace: "shop", podLabels: map[string]string{"pullthrough.dev/skip": "true"}},
		{name: "skip label with another value", namespace: "shop", podLabels: map[string]string{"pullthrough.dev/skip": "no"}, want: "enforce.pullthrough.dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			nsLabels := labels.Set{"kubernetes.io/metadata.name": tt.namespace}
			if tt.mode != "" {
				nsLabels["pullthrough.dev/mode"] = tt.mode
			}
			var matched []string
			for _, w := range mwc.Webhooks {
				if selects(t, w.NamespaceSelector, nsLabels) && selects(t, w.ObjectSelector, tt.podLabels) {
					matched = append(matched, w.Name)
				}
			}
			var want []string
			if tt.want != "" {
				want = []string{tt.want}
			}
			if !slices.Equal(matched, want) {
				t.Errorf("matched by %v, want %v", matched, want)
			}
		})
	}
}

// selects evaluates a webhook selector; a nil one selects everything.
func selects(t *testing.T, sel *metav1.LabelSelector, set map[string]string) bool {
	t.Helper()
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		t.Fatal(err)
	}
	return s.Matches(labels.Set(set))
}

// TestWebhookPods checks the Deployment, the PodDisruptionBudget and the
// config: available through a drain, unprivileged, and wired to each other.
func TestWebhookPods(t *testing.T) {
	t.Parallel()
	objs := load(t, manifestsFile)
	dep := only[*appsv1.Deployment](t, objs)
	pod := dep.Spec.Template
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	if sc := c.SecurityContext; pod.Spec.SecurityContext == nil || sc == nil || sc.Capabilities == nil || sc.SeccompProfile == nil {
		t.Fatal("want a pod securityContext and a container securityContext with capabilities and seccompProfile")
	}
	tests := []struct {
		name    string
		problem func() string
	}{
		// Two replicas and a PDB: one keeps serving through a drain or rollout.
		{"2 replicas", func() string { return want(dep.Spec.Replicas, 2) }},
		{"PodDisruptionBudget keeps one", func() string {
			pdb := only[*policyv1.PodDisruptionBudget](t, objs)
			sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
			switch {
			case err != nil:
				return err.Error()
			case !sel.Matches(labels.Set(pod.Labels)):
				return "its selector does not match the webhook pods"
			case pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() != 1:
				return fmt.Sprintf("minAvailable %v, want 1", pdb.Spec.MinAvailable)
			}
			return ""
		}},
		{"non-root", func() string {
			return wantEqual([]any{deref(pod.Spec.SecurityContext.RunAsNonRoot), deref(c.SecurityContext.RunAsNonRoot), deref(c.SecurityContext.RunAsUser)},
				[]any{true, true, int64(65532)})
		}},
		{"read-only root filesystem", func() string { return want(c.SecurityContext.ReadOnlyRootFilesystem, true) }},
		{"no privilege escalation, no capabilities", func() string {
			return wantEqual([]any{deref(c.SecurityContext.AllowPrivilegeEscalation), c.SecurityContext.Capabilities.Drop},
				[]any{false, []corev1.Capability{"ALL"}})
		}},
		{"seccomp RuntimeDefault", func() string {
			return want(&c.SecurityContext.SeccompProfile.Type, corev1.SeccompProfileTypeRuntimeDefault)
		}},
		// The webhook must never depend on itself to start.
		{"pods opted out of the webhook", func() string { return wantEqual(pod.Labels["pullthrough.dev/skip"], "true") }},
		// Hot reload is the point: a restart per config change would drop the
		// keep-the-old-config-if-the-new-one-is-invalid safety net.
		{"no checksum/config annotation", func() string { return wantEqual(pod.Annotations["checksum/config"], "") }},
		{"probes on the health port", func() string {
			return wantEqual([]string{probe(c, c.LivenessProbe), probe(c, c.ReadinessProbe)}, []string{"/healthz 8081", "/readyz 8081"})
		}},
		{"config mounted as a directory, --config inside it", func() string { return configMount(objs, dep) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if problem := tt.problem(); problem != "" {
				t.Error(problem)
			}
		})
	}
}

// deref returns *p, or nil for a nil p, for comparing optional fields in bulk.
func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// probe prints an HTTP probe as "path port", resolving a port name.
func probe(c corev1.Container, p *corev1.Probe) string {
	if p == nil || p.HTTPGet == nil {
		return "not an HTTP probe"
	}
	return fmt.Sprint(p.HTTPGet.Path, " ", containerPort(c, p.HTTPGet.Port.String()))
}

// containerPort resolves a port name of c; a number stays as it is.
func containerPort(c corev1.Container, port string) string {
	for _, p := range c.Ports {
		if p.Name == port {
			return fmt.Sprint(p.ContainerPort)
		}
	}
	return port
}

// configMount checks that --config names a file in a ConfigMap volume that
// is mounted without subPath (kubelet never updates a subPath mount, so the
// webhook would never see a new config) and that the ConfigMap holds it.
func configMount(objs []runtime.Object, dep *appsv1.Deployment) string {
	c := dep.Spec.Template.Spec.Containers[0]
	dir, file := filepath.Split(flag(c.Args, "config"))
	for _, m := range c.VolumeMounts {
		if filepath.Clean(m.MountPath) != filepath.Clean(dir) {
			continue
		}
		if m.SubPath != "" {
			return "the config volume is mounted with subPath"
		}
		for _, v := range dep.Spec.Template.Spec.Volumes {
			if v.Name == m.Name && v.ConfigMap != nil {
				for _, cm := range all[*corev1.ConfigMap](objs) {
					if cm.Name == v.ConfigMap.Name && cm.Data[file] != "" {
						return ""
					}
				}
				return fmt.Sprintf("no ConfigMap %s with key %s", v.ConfigMap.Name, file)
			}
		}
	}
	return fmt.Sprintf("--config %s%s is not in a mounted ConfigMap", dir, file)
}

// TestConfig loads the rendered config with the binary's own loader.
func TestConfig(t *testing.T) {
	t.Parallel()
	cm := only[*corev1.ConfigMap](t, load(t, manifestsFile))
	cfg, err := rewrite.Parse([]byte(cm.Data["config.yaml"]))
	if err != nil {
		t.Fatalf("the rendered config does not load: %v", err)
	}
	rw, err := rewrite.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The migrator reads only the config: it must skip the release namespace
	// as the webhook configuration does, and nothing else implicitly.
	if !rw.NamespaceExcluded(releaseNamespace) || rw.NamespaceExcluded("kube-system") {
		t.Errorf("exclude.namespaces = %v, want the release namespace and not kube-system", cfg.Exclude.Namespaces)
	}
	// The default mirrors are placeholders: applying the manifests as they
	// are must not point every pod at a proxy that does not exist.
	if got := rw.Rewrite("nginx").Outcome; got != rewrite.OutcomeAudit {
		t.Errorf("default config: nginx -> outcome %s, want %s (mode audit)", got, rewrite.OutcomeAudit)
	}
}

// TestNamesAgree checks that the parts of the self-signed mode name each
// other: the flags, the Service, the webhook configuration and the RBAC rules
// that let the webhook write exactly its own Secret and configuration.
func TestNamesAgree(t *testing.T) {
	t.Parallel()
	objs := load(t, manifestsFile)
	dep := only[*appsv1.Deployment](t, objs)
	svc := only[*corev1.Service](t, objs)
	mwc := only[*admissionregistrationv1.MutatingWebhookConfiguration](t, objs)
	role := only[*rbacv1.Role](t, objs)
	clusterRole := only[*rbacv1.ClusterRole](t, objs)
	args := dep.Spec.Template.Spec.Containers[0].Args
	ns := dep.Namespace
	secret, _ := strings.CutPrefix(flag(args, "self-signed-secret"), ns+"/")

	if got := flag(args, "self-signed-service"); got != ns+"/"+svc.Name {
		t.Errorf("--self-signed-service=%s, want %s/%s", got, ns, svc.Name)
	}
	if got := flag(args, "webhook-config"); got != mwc.Name {
		t.Errorf("--webhook-config=%s, want %s", got, mwc.Name)
	}
	for _, w := range mwc.Webhooks {
		s := w.ClientConfig.Service
		if s == nil || s.Name != svc.Name || s.Namespace != ns || deref(s.Port) != int32(443) {
			t.Errorf("%s: clientConfig.service %+v, want %s/%s port 443", w.Name, s, ns, svc.Name)
		}
	}
	container := dep.Spec.Template.Spec.Containers[0]
	i := slices.IndexFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Port == 443 })
	if i < 0 || containerPort(container, svc.Spec.Ports[i].TargetPort.String()) != flag(args, "port") {
		t.Errorf("want Service port 443 -> the container's --port=%s; got %v", flag(args, "port"), svc.Spec.Ports)
	}
	grants := []struct {
		rules          []rbacv1.PolicyRule
		resource, name string
	}{
		{role.Rules, "secrets", secret},
		{clusterRole.Rules, "mutatingwebhookconfigurations", mwc.Name},
	}
	for _, g := range grants {
		if !permits(g.rules, g.resource, g.name, "update") || permits(g.rules, g.resource, "another-"+g.name, "update") {
			t.Errorf("want update on %s %q and on no other: %+v", g.resource, g.name, g.rules)
		}
	}
	for _, b := range all[*rbacv1.RoleBinding](objs) {
		checkSubject(t, b.Name, b.Subjects, ns, dep.Spec.Template.Spec.ServiceAccountName)
	}
	for _, b := range all[*rbacv1.ClusterRoleBinding](objs) {
		checkSubject(t, b.Name, b.Subjects, ns, dep.Spec.Template.Spec.ServiceAccountName)
	}
}

// permits reports whether rules allow verb on the named object of resource.
func permits(rules []rbacv1.PolicyRule, resource, name, verb string) bool {
	return slices.ContainsFunc(rules, func(r rbacv1.PolicyRule) bool {
		return slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb) &&
			(len(r.ResourceNames) == 0 || slices.Contains(r.ResourceNames, name))
	})
}

func checkSubject(t *testing.T, binding string, subjects []rbacv1.Subject, ns, serviceAccount string) {
	t.Helper()
	wantSubjects := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: serviceAccount}}
	if !slices.Equal(subjects, wantSubjects) {
		t.Errorf("binding %s: subjects %+v, want %+v", binding, subjects, wantSubjects)
	}
}

// TestMigrator checks the rendered migrator: it only plans unless told to
// apply, runs as the ServiceAccount its binding names, and is granted
// exactly what the hand-kept deploy/rbac/migrator-clusterrole.yaml grants.
func TestMigrator(t *testing.T) {
	t.Parallel()
	objs := load(t, migratorFile)
	job := only[*batchv1.Job](t, objs)
	pod := job.Spec.Template.Spec
	if args := pod.Containers[0].Args; slices.Contains(args, "--apply") || !strings.HasPrefix(flag(args, "config"), "/") {
		t.Errorf("args %v: want a plan (no --apply) of an absolute --config", args)
	}
	checkSubject(t, "migrator", only[*rbacv1.ClusterRoleBinding](t, objs).Subjects, job.Namespace, pod.ServiceAccountName)
	if _, err := os.Stat(rbacFile); errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s does not exist", rbacFile)
	}
	rendered := permissions(only[*rbacv1.ClusterRole](t, objs).Rules)
	kept := permissions(only[*rbacv1.ClusterRole](t, load(t, rbacFile)).Rules)
	if !slices.Equal(rendered, kept) {
		t.Errorf("the chart's migrator ClusterRole grants\n  %v\n%s grants\n  %v", rendered, rbacFile, kept)
	}
}

// permissions flattens rules into sorted "group/resource verb" lines, so
// that rules written in another order or grouping compare equal.
func permissions(rules []rbacv1.PolicyRule) []string {
	var set []string
	for _, r := range rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					set = append(set, fmt.Sprintf("%s/%s %s %v", g, res, v, r.ResourceNames))
				}
			}
		}
	}
	slices.Sort(set)
	return slices.Compact(set)
}

// TestRenderedDecodesStrictly decodes every document of the rendered files,
// and of the files in $PULLTHROUGH_RENDERED_DIR (hack/lint-chart.sh renders
// every chart variant there), rejecting unknown and duplicate fields: a
// misspelt field in a template fails here instead of being dropped by the
// API server. Custom resources of cert-manager and the Prometheus Operator,
// whose types this module does not have, need only a kind.
func TestRenderedDecodesStrictly(t *testing.T) {
	t.Parallel()
	files := []string{manifestsFile, migratorFile}
	if dir := os.Getenv("PULLTHROUGH_RENDERED_DIR"); dir != "" {
		more, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		if err != nil || len(more) == 0 {
			t.Fatalf("PULLTHROUGH_RENDERED_DIR=%s: no *.yaml (%v)", dir, err)
		}
		files = append(files, more...)
	}
	strict := serializerjson.NewSerializerWithOptions(serializerjson.DefaultMetaFactory, scheme.Scheme, scheme.Scheme,
		serializerjson.SerializerOptions{Yaml: true, Strict: true})
	customGroups := []string{"cert-manager.io", "monitoring.coreos.com"}
	for _, file := range files {
		docs, err := documents(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range docs {
			_, gvk, err := strict.Decode(doc, nil, nil)
			if runtime.IsNotRegisteredError(err) && gvk != nil && slices.Contains(customGroups, gvk.Group) && gvk.Kind != "" {
				continue
			}
			if err != nil {
				t.Errorf("%s: document %d: %v", file, i, err)
			}
		}
	}
}

// TestSelfSignedRBAC runs the self-signed certificate mode on a real API
// server as the webhook's ServiceAccount, with the options its Deployment
// passes and nothing but the RBAC the manifests grant: the Secret must be
// created and filled and both webhooks' caBundle set.
func TestSelfSignedRBAC(t *testing.T) {
	c := cluster.StartForTest(t, cluster.Options{})
	objs := load(t, manifestsFile)
	admin, err := client.New(c.Config(), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if err := admin.Create(t.Context(), o.(client.Object)); err != nil {
			t.Fatalf("the API server refuses %T: %v", o, err)
		}
	}
	dep := only[*appsv1.Deployment](t, objs)
	user, err := c.NewUser(fmt.Sprintf("system:serviceaccount:%s:%s", dep.Namespace, dep.Spec.Template.Spec.ServiceAccountName),
		"system:serviceaccounts", "system:serviceaccounts:"+dep.Namespace)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := selfSignedOptions(dep.Spec.Template.Spec.Containers[0].Args, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := ctrl.NewManager(user.Config, ctrl.Options{
		Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
	})
	if err != nil {
		t.Fatal(err)
	}
	ready, err := certs.SetupSelfSigned(t.Context(), mgr, opts)
	if err != nil {
		t.Fatalf("as the webhook's ServiceAccount: %v", err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- mgr.Start(t.Context()) }()
	select {
	case <-ready:
	case err := <-stopped:
		// A denied list or watch shows as a cache that never syncs.
		t.Fatalf("the manager stopped (denied by RBAC?): %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("no certificate after 2 minutes (an update denied by RBAC?)")
	}
	secret := &corev1.Secret{}
	if err := admin.Get(t.Context(), client.ObjectKey{Namespace: opts.SecretNamespace, Name: opts.SecretName}, secret); err != nil {
		t.Fatal(err)
	}
	mwc := &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := admin.Get(t.Context(), client.ObjectKey{Name: opts.WebhookConfigName}, mwc); err != nil {
		t.Fatal(err)
	}
	for _, w := range mwc.Webhooks {
		if len(w.ClientConfig.CABundle) == 0 || !bytes.Equal(w.ClientConfig.CABundle, secret.Data["ca.crt"]) {
			t.Errorf("%s: caBundle is not the CA in Secret %s", w.Name, secret.Name)
		}
	}
}

// selfSignedOptions reads the self-signed flags as `pullthrough webhook` does.
func selfSignedOptions(args []string, certDir string) (certs.SelfSignedOptions, error) {
	secret, err := certs.ParseNamespacedName(certs.FlagSecret, flag(args, certs.FlagSecret))
	if err != nil {
		return certs.SelfSignedOptions{}, err
	}
	service, err := certs.ParseNamespacedName(certs.FlagService, flag(args, certs.FlagService))
	if err != nil {
		return certs.SelfSignedOptions{}, err
	}
	opts := certs.SelfSignedOptions{
		SecretNamespace: secret.Namespace, SecretName: secret.Name,
		ServiceNamespace: service.Namespace, ServiceName: service.Name,
		WebhookConfigName: flag(args, certs.FlagWebhookConfig), CertDir: certDir,
	}
	return opts, opts.Validate()
}
