package deploy

import (
	"fmt"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// metricsValues are chart values with every process that serves /metrics
// (the webhook and the node agent) and the ServiceMonitor; each case adds
// its own.
const metricsValues = `
config:
  mirrors: [{source: docker.io, target: harbor.platform.internal/dockerhub}]
nodeConfig: {enabled: true}
metrics:
  serviceMonitor: {enabled: true}
`

// metricsCapabilities let helm template render the policy engine.
var metricsCapabilities = []string{"--kube-version", "1.36.0", "--api-versions", "admissionregistration.k8s.io/v1/MutatingAdmissionPolicy"}

// TestMetricsRendering checks the chart's metrics listeners: plain HTTP on
// the pod network by default with no token mounted for them; with
// metrics.secure, --metrics-secure on every process that serves metrics,
// a token each, the reviews granted to exactly those ServiceAccounts, the
// reader role, and a ServiceMonitor that scrapes with HTTPS and a token;
// under webhook.hostNetwork, the listeners on the pod's IP.
func TestMetricsRendering(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		values     string
		secure     bool
		hostIP     bool                                 // the webhook listens on $(POD_IP)
		readers    []rbacv1.Subject                     // bound to the reader role
		automount  map[string]bool                      // pod -> token mounted
		extraCheck func(objs []runtime.Object) []string // problems
	}{
		{name: "default", values: "certs: {mode: cert-manager}\n",
			automount: map[string]bool{"webhook": false, "nodeconfig": false}},
		{name: "secure", values: "certs: {mode: cert-manager}\nmetrics:\n  secure:\n    enabled: true\n    readers:\n" +
			"      - {kind: ServiceAccount, name: prometheus-k8s, namespace: monitoring}\n      - {kind: Group, name: scrapers}\n",
			secure: true, automount: map[string]bool{"webhook": true, "nodeconfig": true},
			readers: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "prometheus-k8s", Namespace: "monitoring"},
				{Kind: "Group", Name: "scrapers", APIGroup: rbacv1.GroupName}}},
		{name: "secure without readers: the role alone", values: "metrics: {secure: {enabled: true}}\nnodeConfig: {enabled: false}\n",
			secure: true, automount: map[string]bool{"webhook": true}},
		{name: "host network", values: "webhook: {hostNetwork: true}\n", hostIP: true,
			automount: map[string]bool{"webhook": true, "nodeconfig": false}},
		{name: "host network and secure", values: "webhook: {hostNetwork: true}\nmetrics: {secure: {enabled: true}}\n", hostIP: true, secure: true,
			automount: map[string]bool{"webhook": true, "nodeconfig": true}},
		// The applier never runs on the host network, so it binds as usual.
		{name: "policy engine and secure", values: "engine: policy\nwebhook: {hostNetwork: true}\nmetrics: {secure: {enabled: true}}\n", secure: true,
			automount: map[string]bool{"webhook": true, "nodeconfig": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// The case's values as a second file, which helm merges over the first.
			args := append([]string{"--skip-tests", "-f", writeTemp(t, "case.yaml", []byte(tt.values))}, metricsCapabilities...)
			objs := renderChartArgs(t, metricsValues, args...)
			var problems []string
			pods := metricsPods(objs)
			for name, mounted := range tt.automount {
				pod, ok := pods[name]
				if !ok {
					problems = append(problems, "no pod "+name)
					continue
				}
				c := pod.spec.Containers[0]
				if got := slices.Contains(c.Args, "--metrics-secure"); got != tt.secure {
					problems = append(problems, fmt.Sprintf("%s: --metrics-secure %v, want %v", name, got, tt.secure))
				}
				if got := pod.spec.AutomountServiceAccountToken; got == nil || *got != mounted {
					problems = append(problems, fmt.Sprintf("%s: automountServiceAccountToken %v, want %v", name, deref(got), mounted))
				}
				wantIP := tt.hostIP && name == "webhook"
				if got := flag(c.Args, "bind-ip"); (got == "$(POD_IP)") != wantIP || (got != "" && !wantIP) {
					problems = append(problems, fmt.Sprintf("%s: --bind-ip=%q, want $(POD_IP): %v", name, got, wantIP))
				}
				if wantIP && !podIPEnv(c) {
					problems = append(problems, name+": no env POD_IP from status.podIP for --bind-ip")
				}
			}
			problems = append(problems, reviewBinding(objs, pods, tt.secure)...)
			problems = append(problems, readerRBAC(objs, tt.secure, tt.readers)...)
			problems = append(problems, scrapeScheme(objs, tt.secure)...)
			for _, p := range problems {
				t.Error(p)
			}
		})
	}
}

// metricsPod is a pod template of the chart that serves /metrics.
type metricsPod struct {
	namespace string
	spec      corev1.PodSpec
}

// metricsPods are the webhook's (or applier's) and the node agent's pod
// templates, by container name.
func metricsPods(objs []runtime.Object) map[string]metricsPod {
	pods := map[string]metricsPod{}
	for _, d := range all[*appsv1.Deployment](objs) {
		pods[d.Spec.Template.Spec.Containers[0].Name] = metricsPod{d.Namespace, d.Spec.Template.Spec}
	}
	for _, d := range all[*appsv1.DaemonSet](objs) {
		pods[d.Spec.Template.Spec.Containers[0].Name] = metricsPod{d.Namespace, d.Spec.Template.Spec}
	}
	return pods
}

// podIPEnv reports whether c has POD_IP from the downward API.
func podIPEnv(c corev1.Container) bool {
	return slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool {
		return e.Name == "POD_IP" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "status.podIP"
	})
}

// reviewBinding checks that, with secure, exactly the ServiceAccounts of the
// pods that serve metrics may create the reviews (system:auth-delegator),
// and that nothing is granted for them otherwise.
func reviewBinding(objs []runtime.Object, pods map[string]metricsPod, secure bool) []string {
	var want []rbacv1.Subject
	if secure {
		for _, name := range []string{"webhook", "nodeconfig"} {
			if p, ok := pods[name]; ok {
				want = append(want, rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: p.spec.ServiceAccountName, Namespace: p.namespace})
			}
		}
	}
	var got []rbacv1.Subject
	for _, b := range all[*rbacv1.ClusterRoleBinding](objs) {
		if b.RoleRef.Name == "system:auth-delegator" {
			got = append(got, b.Subjects...)
		}
	}
	if !slices.Equal(got, want) {
		return []string{fmt.Sprintf("system:auth-delegator bound to %+v, want %+v", got, want)}
	}
	return nil
}

// readerRBAC checks the reader ClusterRole (get on /metrics, nothing else)
// and its binding to metrics.secure.readers.
func readerRBAC(objs []runtime.Object, secure bool, readers []rbacv1.Subject) []string {
	var problems []string
	var role *rbacv1.ClusterRole
	for _, r := range all[*rbacv1.ClusterRole](objs) {
		if r.Name == "pullthrough-metrics-reader" {
			role = r
		}
	}
	wantRules := []rbacv1.PolicyRule{{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}}
	switch {
	case (role != nil) != secure:
		return []string{fmt.Sprintf("reader ClusterRole rendered: %v, want %v", role != nil, secure)}
	case role != nil && fmt.Sprint(role.Rules) != fmt.Sprint(wantRules):
		problems = append(problems, fmt.Sprintf("reader rules %+v, want %+v", role.Rules, wantRules))
	}
	var got []rbacv1.Subject
	for _, b := range all[*rbacv1.ClusterRoleBinding](objs) {
		if b.RoleRef.Name == "pullthrough-metrics-reader" {
			got = append(got, b.Subjects...)
		}
	}
	if !slices.Equal(got, readers) {
		problems = append(problems, fmt.Sprintf("reader binding subjects %+v, want %+v", got, readers))
	}
	return problems
}

// scrapeScheme checks the ServiceMonitor's endpoint: plain HTTP, or HTTPS
// with Prometheus's token when metrics are secure.
func scrapeScheme(objs []runtime.Object, secure bool) []string {
	for _, u := range all[*unstructured.Unstructured](objs) {
		if u.GetKind() != "ServiceMonitor" {
			continue
		}
		endpoints, _, _ := unstructured.NestedSlice(u.Object, "spec", "endpoints")
		if len(endpoints) != 1 {
			return []string{fmt.Sprintf("ServiceMonitor: %d endpoints, want 1", len(endpoints))}
		}
		ep := endpoints[0].(map[string]any)
		skip, _, _ := unstructured.NestedBool(ep, "tlsConfig", "insecureSkipVerify")
		got := fmt.Sprint(ep["scheme"], " ", ep["bearerTokenFile"] != nil, " ", skip)
		want := "http false false"
		if secure {
			want = "https true true"
		}
		if got != want {
			return []string{fmt.Sprintf("ServiceMonitor scheme, token, skip verify: %s, want %s", got, want)}
		}
		return nil
	}
	return []string{"no ServiceMonitor"}
}
