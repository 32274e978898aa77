package webhook

import (
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	sigsjson "sigs.k8s.io/json"

	"github.com/pullthrough/pullthrough/podspec"
)

// pod is the part of a Pod the handler reads: what the decision reads (names
// and images per container list, the opt-out label, the mirror-pod
// annotation), and what the patch builds on (annotations, pull secrets).
// Everything else in the object is skipped by the decoder, never allocated:
// on the admission path of every pod in the cluster, decoding a whole
// corev1.Pod was most of the handler's cost.
type pod struct {
	// Metadata is nil when the object has none; the patch then adds it.
	Metadata *objectMeta `json:"metadata"`
	Spec     podSpec     `json:"spec"`
}

type objectMeta struct {
	Name         string            `json:"name"`
	GenerateName string            `json:"generateName"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
}

type podSpec struct {
	podspec.Spec
	ImagePullSecrets []struct {
		Name string `json:"name"`
	} `json:"imagePullSecrets"`
}

// oldPod is what an UPDATE's oldObject is read for: its images.
type oldPod struct {
	Spec podspec.Spec `json:"spec"`
}

// podOf is the pod of an admission request's object: the one the server
// read with the review (decodePodReview), or else raw decoded by decodePod.
func podOf[T pod | oldPod, PT interface {
	*T
	runtime.Object
}](ext runtime.RawExtension) (*T, error) {
	if p, ok := ext.Object.(PT); ok {
		return p, nil
	}
	p := new(T)
	return p, decodePod(ext.Raw, p)
}

// decodePod reads raw, case-sensitively as the API server's own decoder
// does. On error it reports what a decode into corev1.Pod reports, which
// names the Pod's own field and type, not this file's.
func decodePod[T pod | oldPod](raw []byte, into *T) error {
	err := sigsjson.UnmarshalCaseSensitivePreserveInts(raw, into)
	if err == nil {
		return nil
	}
	if full := sigsjson.UnmarshalCaseSensitivePreserveInts(raw, &corev1.Pod{}); full != nil {
		return full
	}
	return fmt.Errorf("read the containers: %w", err)
}

// annotation returns the value of key and whether it is present.
func (p *pod) annotation(key string) (string, bool) {
	if p.Metadata == nil {
		return "", false
	}
	v, ok := p.Metadata.Annotations[key]
	return v, ok
}

// The shapes are runtime.Objects so that the server can hand them to the
// handler in the request's RawExtension.Object, the field the API machinery
// has for an object already decoded from Raw.
var (
	_ runtime.Object = (*pod)(nil)
	_ runtime.Object = (*oldPod)(nil)
)

// GetObjectKind implements runtime.Object: the shapes carry no type, the
// request's kind says what the object is.
func (p *pod) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// GetObjectKind implements runtime.Object, as pod's.
func (p *oldPod) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// DeepCopyObject implements runtime.Object.
func (p *pod) DeepCopyObject() runtime.Object {
	c := &pod{Spec: podSpec{Spec: copySpec(p.Spec.Spec), ImagePullSecrets: slices.Clone(p.Spec.ImagePullSecrets)}}
	if p.Metadata != nil {
		m := *p.Metadata
		m.Labels, m.Annotations = maps.Clone(m.Labels), maps.Clone(m.Annotations)
		c.Metadata = &m
	}
	return c
}

// DeepCopyObject implements runtime.Object.
func (p *oldPod) DeepCopyObject() runtime.Object {
	return &oldPod{Spec: copySpec(p.Spec)}
}

func copySpec(s podspec.Spec) podspec.Spec {
	c := podspec.Spec{
		InitContainers:      slices.Clone(s.InitContainers),
		Containers:          slices.Clone(s.Containers),
		EphemeralContainers: slices.Clone(s.EphemeralContainers),
		Volumes:             slices.Clone(s.Volumes),
	}
	for i, v := range c.Volumes {
		if v.Image != nil {
			image := *v.Image
			c.Volumes[i].Image = &image
		}
	}
	return c
}
