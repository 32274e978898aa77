package migrate

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/pullthrough/pullthrough/podspec"
	"github.com/pullthrough/pullthrough/wellknown"
)

// optedOut reports whether a forward run leaves object u alone, as the
// webhook leaves alone the pods it would run: u, or a pod template it holds,
// opted out (podspec.OptedOut: wellknown.LabelSkip), or u belongs to a
// pullthrough release (wellknown.LabelAppName). The last keeps a run from a
// workstation, whose config need not exclude the release namespace, off the
// webhook and the node agent: pointing them at the proxy would make them
// depend on what they serve.
func optedOut(u *unstructured.Unstructured, inspectors []inspector) (bool, error) {
	if leftAlone(u.GetLabels(), u.GetAnnotations()) {
		return true, nil
	}
	for _, in := range inspectors {
		p, ok := in.(podSpecInspector)
		if !ok {
			continue
		}
		out, err := p.templateOptedOut(u.Object)
		if out || err != nil {
			return out, err
		}
	}
	return false, nil
}

// templateOptedOut reports whether the pod template whose spec p reads
// opted out, or is a release's (its labels and annotations sit beside the
// spec, in metadata).
func (p podSpecInspector) templateOptedOut(obj map[string]any) (bool, error) {
	segments := strings.Split(p.path, ".")
	meta := append(segments[:len(segments)-1:len(segments)-1], "metadata")
	labels, _, err := unstructured.NestedStringMap(obj, append(meta, "labels")...)
	if err != nil {
		return false, fmt.Errorf("%s.labels: %w", strings.Join(meta, "."), err)
	}
	annotations, _, err := unstructured.NestedStringMap(obj, append(meta, "annotations")...)
	if err != nil {
		return false, fmt.Errorf("%s.annotations: %w", strings.Join(meta, "."), err)
	}
	return leftAlone(labels, annotations), nil
}

// leftAlone is the test of an object's or a pod template's metadata.
func leftAlone(labels, annotations map[string]string) bool {
	return labels[wellknown.LabelAppName] == wellknown.AppName || podspec.OptedOut(labels, annotations)
}
