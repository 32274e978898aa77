package node

import (
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/e2e/registry"
	"github.com/pullthrough/pullthrough/resolve"
	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

// ecrDigest: a digest-pinned pod behind the ECR-like proxy, whose cache
// cannot fill a first pull by digest, is left as written (not-served,
// counted, annotated) and Running from the upstream; once a pod of the tag
// was pulled through the proxy, the next digest-pinned pod is rewritten and
// Running through it.
func (l *Lab) ecrDigest(t *testing.T) {
	ctx, ns, tagged := t.Context(), "ecr", ECRHost+"/acme/pinned:1"
	digests, err := l.Set.Seed(ctx, registry.Image{Ref: tagged, Runnable: true})
	must(t, err)
	pinned, proxied := tagged+"@"+digests[tagged], l.Set.Proxy(ECRHost).Addr+"/acme/pinned:1@"+digests[tagged]
	l.namespace(t, ns, "", true)
	counted := l.imagesCounted(t, ECRHost, rewrite.OutcomeNotServed)
	before := l.Counts()

	must(t, l.CreatePod(ctx, ns, "first", PodSpec(Container("app", pinned))))
	first := l.runningPod(t, ns, "first", 1)
	l.wantLeftDirect(t, first, pinned, proxied)
	if got := l.Counts().DirectGETs(before, ECRHost); got == 0 {
		t.Errorf("the pod left direct did not pull from the %s upstream", ECRHost)
	}
	if got := l.imagesCounted(t, ECRHost, rewrite.OutcomeNotServed); got != counted+1 {
		t.Errorf("%s{registry=%s,outcome=not-served} went from %v to %v, want one more", wellknown.MetricImages, ECRHost, counted, got)
	}

	// A pod of the tag: its check and its pull fill the cache.
	must(t, l.CreatePod(ctx, ns, "tagged", PodSpec(Container("app", tagged))))
	l.wantProxied(t, "tagged", l.runningPod(t, ns, "tagged", 2).Spec.Containers[0].Image)
	time.Sleep(NotServedTTL) // the refusal expires and is asked again
	must(t, l.CreatePod(ctx, ns, "next", PodSpec(Container("app", pinned))))
	if got := l.runningPod(t, ns, "next", 3).Spec.Containers[0].Image; got != proxied {
		t.Errorf("after the tag was pulled through, the digest-pinned pod has %s; want %s", got, proxied)
	}
}

// harborDeleted: behind the Harbor-like proxy, which refuses a tag its
// upstream deleted though it cached it, a pod whose image the node still
// holds is left as written and Running; a pod whose image exists nowhere
// now is left as written too and fails exactly as it fails without
// pullthrough (a namespace in mode off).
func (l *Lab) harborDeleted(t *testing.T) {
	ctx, kept, gone := t.Context(), HarborHost+"/acme/retired:1", HarborHost+"/acme/gone:1"
	must(t, l.Seed(ctx, kept, gone))
	const off, ns = "harbor-off", "harbor"
	l.namespace(t, off, config.ModeOff, false)
	ifPresent := func(image string) corev1.PodSpec {
		c := Container("app", image)
		c.ImagePullPolicy = corev1.PullIfNotPresent
		return PodSpec(c)
	}
	// Before: the node pulled kept directly, and the proxy cached both.
	must(t, l.CreatePod(ctx, off, "retired", ifPresent(kept)))
	l.runningPod(t, off, "retired", 1)
	proxy := l.Set.Proxy(HarborHost).Addr
	for _, image := range []string{kept, gone} {
		_, err := l.Set.Pull(ctx, proxy+strings.TrimPrefix(image, HarborHost), resolve.Credentials{})
		must(t, err)
		must(t, l.Set.DeleteTag(ctx, image)) // the publisher deletes the release
	}

	l.namespace(t, ns, "", true)
	must(t, l.CreatePod(ctx, ns, "retired", ifPresent(kept)))
	l.wantLeftDirect(t, l.runningPod(t, ns, "retired", 1), kept, proxy+"/acme/retired:1")

	must(t, l.CreatePod(ctx, ns, "gone", PodSpec(Container("app", gone))))
	with, err := l.WaitPullFailure(ctx, ns)
	must(t, err)
	pod, err := l.CS.CoreV1().Pods(ns).Get(ctx, "gone", metav1.GetOptions{})
	must(t, err)
	l.wantLeftDirect(t, *pod, gone, proxy+"/acme/gone:1")
	must(t, l.CreatePod(ctx, off, "gone", PodSpec(Container("app", gone))))
	without, err := l.WaitPullFailure(ctx, off)
	must(t, err)
	with, without = naming(with, gone), naming(without, gone)
	if len(with) == 0 || !slices.Equal(with, without) {
		t.Errorf("the pull of %s fails with pullthrough as %q, without as %q; want the same", gone, with, without)
	}
	t.Logf("exists nowhere, with pullthrough as without: %q", with)
	for _, n := range []string{ns, off} {
		must(t, l.CS.CoreV1().Namespaces().Delete(ctx, n, metav1.DeleteOptions{}))
	}
}

// naming returns the distinct messages that name image, sorted.
func naming(messages []string, image string) []string {
	var out []string
	for _, m := range messages {
		if strings.Contains(m, `"`+image+`"`) && !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	slices.Sort(out)
	return out
}

// runningPod waits until want pods of ns are Running and returns the one named name.
func (l *Lab) runningPod(t *testing.T, ns, name string, want int) corev1.Pod {
	t.Helper()
	pods, err := l.WaitRunning(t.Context(), ns, want)
	must(t, err)
	for _, p := range pods {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("%s/%s: no such pod", ns, name)
	return corev1.Pod{}
}

// wantLeftDirect fails unless the pod's one container has image as written
// and its not-served record names proxied, the reference the proxy refused.
func (l *Lab) wantLeftDirect(t *testing.T, p corev1.Pod, image, proxied string) {
	t.Helper()
	if got := p.Spec.Containers[0].Image; got != image {
		t.Errorf("pod %s has %s; want it left as written, %s", p.Name, got, image)
	}
	record, err := wellknown.DecodeRecord(p.Annotations[wellknown.AnnotationNotServed])
	if err != nil || record["app"] != proxied {
		t.Errorf("pod %s: %s = %q (%v); want app: %s", p.Name, wellknown.AnnotationNotServed, p.Annotations[wellknown.AnnotationNotServed], err, proxied)
	}
}

// imagesCounted reads the webhook's pullthrough_images_total for one registry and outcome.
func (l *Lab) imagesCounted(t *testing.T, registry string, outcome rewrite.Outcome) float64 {
	t.Helper()
	families, err := l.Hook.Metrics(t.Context())
	must(t, err)
	sum, _ := cluster.MetricSum(families, wellknown.MetricImages, func(labels map[string]string) bool {
		return labels["registry"] == registry && labels["outcome"] == string(outcome)
	})
	return sum
}
