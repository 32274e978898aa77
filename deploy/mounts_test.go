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
	}
	return "volume " + v.Name + " is not a whole ConfigMap or Secret, so " + key + " may be missing"
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
