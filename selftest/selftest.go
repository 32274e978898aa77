package selftest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

// notRewritten starts the error of a Check whose Pod came back without what
// the webhook should have done: the webhook was not called (down,
// unreachable, no caBundle yet, the namespace labelled off) or it answered
// otherwise.
const notRewritten = "the webhook did not do what the config says"

// Target is one namespace to probe and its mode.
type Target struct {
	Namespace string
	// Mode is the namespace's, as its wellknown.LabelMode routes it:
	// config.ModeEnforce or config.ModeAudit. With the config's mode it gives
	// what the probe must come back as (config.Config.ModeIn).
	Mode config.Mode
}

// Check is what one probe found.
type Check struct {
	Target
	// Probe is the image the probe Pod asked for.
	Probe string
	// Want is the image the returned Pod must carry, and Annotation the
	// annotation it must have; in audit, the audit warning naming the
	// proposal stands for the annotation (the policy engine writes none).
	Want, Annotation string
	// Got is the image the returned Pod carries.
	Got string
	// Err is nil when the Pod carries Want and Annotation (or the warning).
	Err error
}

// probeImage returns an image under the first mirror source that cfg
// rewrites in namespace ns, and its rewrite; an error when no mirror applies
// (every probe excluded, or ns itself excluded).
func probeImage(cfg *config.Config, ns string) (image, rewritten string, err error) {
	if cfg.NamespaceExcluded(ns) {
		return "", "", fmt.Errorf("namespace %s is excluded by the config's exclude.namespaces: probe another", ns)
	}
	rw, err := rewrite.New(cfg.Rules())
	if err != nil {
		return "", "", err
	}
	for _, m := range cfg.Mirrors {
		image := m.Source + "/pullthrough-selftest/probe:1"
		if res := rw.Rewrite(image); res.Outcome == rewrite.OutcomeRewritten {
			return image, res.Image, nil
		}
	}
	return "", "", errors.New("no mirror source yields a rewrite of a probe image (exclude.images?)")
}

// Run probes each target with a dry-run Pod named name and returns what it
// found; the error joins every failed Check's error. On Kubernetes 1.36 and
// later the probe Pod also mounts the probe image as an image volume, which
// must come back like the container's image.
//
// rc reaches the API server; Run reads the warnings of its own requests
// through a copy of it, as the policy engine's audit path answers with a
// warning where the webhook's writes an annotation.
func Run(ctx context.Context, rc *rest.Config, cfg *config.Config, name string, targets []Target) ([]Check, error) {
	warnings := &warningLog{}
	rc = rest.CopyConfig(rc)
	rc.WarningHandler = warnings
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	volume, err := imageVolumesGA(client)
	if err != nil {
		return nil, err
	}
	var checks []Check
	var errs []error
	for _, t := range targets {
		c := probe(ctx, client, warnings, cfg, name, t, volume)
		if c.Err != nil {
			errs = append(errs, fmt.Errorf("namespace %s (%s): %w", t.Namespace, t.Mode, c.Err))
		}
		checks = append(checks, c)
	}
	return checks, errors.Join(errs...)
}

// probe creates one dry-run Pod and compares the answer with the expectation.
func probe(ctx context.Context, client kubernetes.Interface, warnings *warningLog, cfg *config.Config, name string, t Target, volume bool) Check {
	c := Check{Target: t}
	image, rewritten, err := probeImage(cfg, t.Namespace)
	if err != nil {
		c.Err = err
		return c
	}
	c.Probe = image
	mode := cfg.ModeIn(t.Mode)
	c.Want, c.Annotation = expect(mode, image, rewritten)
	warnings.take()
	got, err := client.CoreV1().Pods(t.Namespace).Create(ctx, probePod(name, image, volume), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		c.Err = fmt.Errorf("dry-run create of pod %s/%s: %w", t.Namespace, name, err)
		return c
	}
	c.Got = got.Spec.Containers[0].Image
	_, annotated := got.Annotations[c.Annotation]
	if !annotated && mode == config.ModeAudit {
		// The policy engine records no proposal on the pod; its audit
		// policy warns with the webhook's audit line instead.
		annotated = slices.ContainsFunc(warnings.take(), func(w string) bool {
			return strings.Contains(w, "pullthrough audit: ") && strings.Contains(w, image+" would be "+rewritten)
		})
	}
	switch {
	case c.Got != c.Want:
		c.Err = fmt.Errorf("%s: image %s came back as %s, want %s", notRewritten, image, c.Got, c.Want)
	case volume && got.Spec.Volumes[0].Image.Reference != c.Want:
		c.Err = fmt.Errorf("%s: image volume %s came back as %s, want %s", notRewritten, image, got.Spec.Volumes[0].Image.Reference, c.Want)
	case !annotated && mode == config.ModeAudit:
		c.Err = fmt.Errorf("%s: image %s, but neither annotation %s nor an audit warning", notRewritten, c.Got, c.Annotation)
	case !annotated:
		c.Err = fmt.Errorf("%s: image %s, but no annotation %s", notRewritten, c.Got, c.Annotation)
	}
	return c
}

// expect returns the image and the annotation the returned Pod must carry in
// mode, the mode in force: the rewrite in enforce, the image as asked for
// (and the proposal recorded) in audit.
func expect(mode config.Mode, image, rewritten string) (string, string) {
	if mode == config.ModeEnforce {
		return rewritten, wellknown.AnnotationOriginalImages
	}
	return image, wellknown.AnnotationWouldRewrite
}

// imageVolumesGA reports whether the API server serves image volumes on by
// default (GA in Kubernetes 1.36): before that, the ImageVolume feature gate
// may be off, and the API server would refuse a probe that mounts one.
func imageVolumesGA(client kubernetes.Interface) (bool, error) {
	v, err := client.Discovery().ServerVersion()
	if err != nil {
		return false, fmt.Errorf("read the API server's version: %w", err)
	}
	sv, err := version.ParseGeneric(v.GitVersion)
	if err != nil {
		return false, fmt.Errorf("API server version %q: %w", v.GitVersion, err)
	}
	return sv.AtLeast(version.MajorMinor(1, 36)), nil
}

// probePod is a Pod that any Pod Security level admits and that never runs:
// it is only ever created with a dry run. With volume, it mounts image as an
// image volume too.
func probePod(name, image string, volume bool) *corev1.Pod {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:   name,
			Labels: map[string]string{"app.kubernetes.io/name": "pullthrough-selftest"},
		},
		Spec: corev1.PodSpec{
			AutomountServiceAccountToken: ptr.To(false),
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   ptr.To(true),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{{
				Name:  "probe",
				Image: image,
				SecurityContext: &corev1.SecurityContext{
					AllowPrivilegeEscalation: ptr.To(false),
					Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				},
			}},
		},
	}
	if volume {
		pod.Spec.Volumes = []corev1.Volume{{Name: "probe", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: image}}}}
	}
	return pod
}

// ParseTargets reads "NS" or "NS=audit|enforce" items; a bare NS is enforce.
func ParseTargets(items []string) ([]Target, error) {
	var targets []Target
	for _, item := range items {
		ns, mode, found := strings.Cut(item, "=")
		t := Target{Namespace: ns, Mode: config.ModeEnforce}
		if found {
			t.Mode = config.Mode(mode)
		}
		if ns == "" || (t.Mode != config.ModeEnforce && t.Mode != config.ModeAudit) {
			return nil, fmt.Errorf("namespace %q: want NS, NS=enforce or NS=audit", item)
		}
		targets = append(targets, t)
	}
	return targets, nil
}

// warningLog keeps the warnings of the requests since the last take; the
// probes are sequential.
type warningLog struct {
	mu   sync.Mutex
	seen []string
}

// HandleWarningHeader records a warning; it satisfies rest.WarningHandler.
func (w *warningLog) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen = append(w.seen, text)
}

// take returns and forgets the warnings recorded so far.
func (w *warningLog) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.seen
	w.seen = nil
	return out
}
