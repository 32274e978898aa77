package deploy

import (
	"path"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/wellknown"
)

// TestConfigReadersMountTheCABundle checks every rendered variant: a
// container that reads config.proxyHealth.caBundle (the webhook's probe,
// the migrator's --verify) mounts the file at the path the config names,
// from the ConfigMap or Secret key the values give. Only the webhook did
// once, and the migrator Job with migrator.verify exited 2 on a file it
// could not open.
func TestConfigReadersMountTheCABundle(t *testing.T) {
	t.Parallel()
	checked := 0
	for _, file := range renderedFiles(t) {
		objs := load(t, file)
		var ca string
		for _, cm := range all[*corev1.ConfigMap](objs) {
			if text, ok := cm.Data["config.yaml"]; ok {
				cfg, err := config.Parse([]byte(text))
				if err != nil {
					t.Fatalf("%s: ConfigMap %s: %v", file, cm.Name, err)
				}
				if cfg.ProxyHealth != nil {
					ca = cfg.ProxyHealth.CABundle
				}
			}
		}
		if ca == "" {
			continue
		}
		for name, pod := range podSpecs(objs) {
			for _, c := range pod.Containers {
				if !readsCABundle(c.Args) {
					continue
				}
				checked++
				if problem := mounted(pod, c, ca); problem != "" {
					t.Errorf("%s: %s, container %s reads proxyHealth.caBundle %s: %s", file, name, c.Name, ca, problem)
				}
			}
		}
	}
	if checked == 0 && strings.Contains(strings.Join(renderedFiles(t), " "), "all-optional") {
		t.Error("no container reads a caBundle in the renderings: all-optional.yaml sets one")
	}
}

// readsCABundle reports whether a container with these args opens the
// config's proxyHealth.caBundle: the webhook (its probe) and migrate or
// verify with --verify (cmd/pullthrough's verifier).
func readsCABundle(args []string) bool {
	if len(args) == 0 {
		return false
	}
	switch args[0] {
	case "webhook", "verify":
		return true
	case "migrate":
		return slices.Contains(args, "--verify")
	}
	return false
}

// mounted says what keeps file from being in the container: no mount
// covers its directory, or the volume there has no key of its name.
func mounted(pod *corev1.PodSpec, c corev1.Container, file string) string {
	dir, key := path.Split(file)
	i := slices.IndexFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return path.Clean(m.MountPath) == path.Clean(dir) })
	if i < 0 {
		return "no volume is mounted at " + dir
	}
	j := slices.IndexFunc(pod.Volumes, func(v corev1.Volume) bool { return v.Name == c.VolumeMounts[i].Name })
	if j < 0 {
		return "the mount names no volume of the pod"
	}
	v := pod.Volumes[j]
	switch {
	case v.ConfigMap != nil && v.ConfigMap.Items == nil, v.Secret != nil && v.Secret.Items == nil:
		return "" // every key is a file; the key itself is the values' (the schema requires it)
	case v.Secret != nil && slices.ContainsFunc(v.Secret.Items, func(k corev1.KeyToPath) bool { return k.Path == key }):
		return ""
	}
	return "volume " + v.Name + " is not a whole ConfigMap or Secret, so " + key + " may be missing"
}

// TestWebhookMountsTheServedCheckLogin: where the chart sets
// config.servedCheck.dockerConfig, the webhook mounts that file from the
// pull secret the values name, optional (a missing Secret must not stop the
// pods); where it must not (no pull secret, "-", the check off, the user's
// own file), it sets nothing and mounts nothing.
func TestWebhookMountsTheServedCheckLogin(t *testing.T) {
	t.Parallel()
	const login = "/etc/pullthrough/proxy-login/.dockerconfigjson"
	tests := []struct {
		name, values       string
		dockerConfig, from string // want; "" for none
	}{
		{"the first of imagePullSecrets", "config: {imagePullSecrets: [proxy-pull, other]}\n", login, "proxy-pull"},
		{"servedCheck.pullSecret", "config: {imagePullSecrets: [proxy-pull]}\nservedCheck: {pullSecret: proxy-login}\n", login, "proxy-login"},
		{"none without imagePullSecrets", "", "", ""},
		{"none with -", "config: {imagePullSecrets: [proxy-pull]}\nservedCheck: {pullSecret: \"-\"}\n", "", ""},
		{"none with the check off", "config: {imagePullSecrets: [proxy-pull], servedCheck: {enabled: false}}\n", "", ""},
		{"the user's own file kept", "config: {imagePullSecrets: [proxy-pull], servedCheck: {dockerConfig: /mine/config.json}}\n", "/mine/config.json", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			objs := renderChart(t, tt.values, "templates/configmap.yaml", "templates/deployment.yaml")
			var cm *corev1.ConfigMap
			for _, c := range all[*corev1.ConfigMap](objs) {
				cm = c
			}
			cfg, err := config.Parse([]byte(cm.Data["config.yaml"]))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.ServedCheck.DockerConfig != tt.dockerConfig {
				t.Errorf("servedCheck.dockerConfig %q, want %q", cfg.ServedCheck.DockerConfig, tt.dockerConfig)
			}
			pod := &only[*appsv1.Deployment](t, objs).Spec.Template.Spec
			i := slices.IndexFunc(pod.Volumes, func(v corev1.Volume) bool { return v.Secret != nil && v.Name == "proxy-login" })
			switch {
			case tt.from == "" && i >= 0:
				t.Errorf("volume proxy-login from %s, want none", pod.Volumes[i].Secret.SecretName)
			case tt.from == "":
			case i < 0:
				t.Errorf("no volume proxy-login, want one from %s", tt.from)
			case pod.Volumes[i].Secret.SecretName != tt.from || pod.Volumes[i].Secret.Optional == nil || !*pod.Volumes[i].Secret.Optional:
				t.Errorf("volume proxy-login from %s (optional %v), want from %s, optional", pod.Volumes[i].Secret.SecretName, pod.Volumes[i].Secret.Optional, tt.from)
			default:
				if problem := mounted(pod, pod.Containers[0], tt.dockerConfig); problem != "" {
					t.Errorf("the webhook reads %s: %s", tt.dockerConfig, problem)
				}
			}
		})
	}
}

// podSpecs returns the pod spec of every workload in objs, by Kind/name.
func podSpecs(objs []runtime.Object) map[string]*corev1.PodSpec {
	out := map[string]*corev1.PodSpec{}
	for _, o := range objs {
		var spec *corev1.PodSpec
		switch w := o.(type) {
		case *appsv1.Deployment:
			spec = &w.Spec.Template.Spec
		case *appsv1.DaemonSet:
			spec = &w.Spec.Template.Spec
		case *batchv1.Job:
			spec = &w.Spec.Template.Spec
		case *corev1.Pod:
			spec = &w.Spec
		default:
			continue
		}
		m, _ := meta.Accessor(o)
		out[o.GetObjectKind().GroupVersionKind().Kind+"/"+m.GetName()] = spec
	}
	return out
}

// TestReleaseObjectsAreRecognised: every object of every rendered variant
// carries wellknown.LabelAppName=wellknown.AppName, by which the migrator
// leaves a release's own objects alone wherever they run.
func TestReleaseObjectsAreRecognised(t *testing.T) {
	t.Parallel()
	for _, file := range renderedFiles(t) {
		objs := load(t, file)
		for _, o := range objs {
			m, err := meta.Accessor(o)
			if err != nil {
				t.Fatal(err)
			}
			if m.GetLabels()[wellknown.LabelAppName] != wellknown.AppName {
				t.Errorf("%s: %s %s has no label %s=%s", file, o.GetObjectKind().GroupVersionKind().Kind, m.GetName(), wellknown.LabelAppName, wellknown.AppName)
			}
		}
	}
}
