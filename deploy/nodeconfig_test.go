package deploy

import (
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/nodeconfig"
)

// TestNodeConfigDaemonSet checks the node agent's pod for what the issue
// asks of it: every taint tolerated, no privileged flag, a read-only root,
// its own resources, the hostPath containerd reads, and a config the agent
// can turn into host files.
func TestNodeConfigDaemonSet(t *testing.T) {
	t.Parallel()
	objs := load(t, nodeconfigFile)
	ds := only[*appsv1.DaemonSet](t, objs)
	pod := ds.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	sc := c.SecurityContext
	checks := map[string]string{
		"tolerates every taint":     wantEqual(pod.Tolerations, []corev1.Toleration{{Operator: corev1.TolerationOpExists}}),
		"not privileged":            wantEqual(sc.Privileged, (*bool)(nil)),
		"no privilege escalation":   want(sc.AllowPrivilegeEscalation, false),
		"read-only root filesystem": want(sc.ReadOnlyRootFilesystem, true),
		"no capabilities":           wantEqual(sc.Capabilities.Drop, []corev1.Capability{"ALL"}),
		"no API credentials":        want(pod.AutomountServiceAccountToken, false),
		"skipped by the webhook":    wantEqual(ds.Spec.Template.Labels["pullthrough.dev/skip"], "true"),
		"agent mode":                wantEqual(c.Args[:2], []string{"nodeconfig", "--watch"}),
		"writes the mounted dir":    wantEqual(flag(c.Args, "out"), "/host/certs.d"),
	}
	if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		checks["own resources"] = "no memory request or limit"
	}
	var hostPath, configMap string
	for _, v := range pod.Volumes {
		if v.HostPath != nil {
			hostPath = v.HostPath.Path
		}
		if v.ConfigMap != nil {
			configMap = v.ConfigMap.Name
		}
	}
	checks["containerd's default config_path"] = wantEqual(hostPath, "/etc/containerd/certs.d")
	for what, problem := range checks {
		if problem != "" {
			t.Errorf("%s: %s", what, problem)
		}
	}
	var cm *corev1.ConfigMap
	for _, m := range all[*corev1.ConfigMap](objs) {
		if m.Name == configMap && m.Namespace == ds.Namespace {
			cm = m
		}
	}
	if cm == nil {
		t.Fatalf("no ConfigMap %s/%s for the DaemonSet's config volume", ds.Namespace, configMap)
	}
	cfg, err := config.Parse([]byte(cm.Data["config.yaml"]))
	if err != nil {
		t.Fatalf("the agent's config: %v", err)
	}
	files, _, err := nodeconfig.Generate(cfg)
	if err != nil || !slices.ContainsFunc(files, func(f nodeconfig.File) bool { return f.Registry == "docker.io" }) {
		t.Errorf("the agent's config yields no docker.io host file: %v", err)
	}
}
