package deploy

import (
	"fmt"
	"path/filepath"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/rewrite"
)

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
	cfg, err := config.Parse([]byte(cm.Data["config.yaml"]))
	if err != nil {
		t.Fatalf("the rendered config does not load: %v", err)
	}
	rw, err := cfg.Rewriter()
	if err != nil {
		t.Fatal(err)
	}
	// The migrator reads only the config: it must skip the release namespace
	// as the webhook configuration does, and nothing else implicitly.
	if !cfg.NamespaceExcluded(releaseNamespace) || cfg.NamespaceExcluded("kube-system") {
		t.Errorf("exclude.namespaces = %v, want the release namespace and not kube-system", cfg.Exclude.Namespaces)
	}
	// The default mirrors are placeholders: applying the manifests as they
	// are must not point every pod at a proxy that does not exist.
	if got := rw.Rewrite("nginx").Outcome; got != rewrite.OutcomeAudit {
		t.Errorf("default config: nginx -> outcome %s, want %s (mode audit)", got, rewrite.OutcomeAudit)
	}
}
