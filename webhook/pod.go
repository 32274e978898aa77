package webhook

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
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
