package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/pullthrough/pullthrough/e2e/cluster"
)

// Names shared by the chart, the tests and the demo.
const (
	// ReleaseNamespace is where the rendered manifests install pullthrough;
	// it matches neither webhook.
	ReleaseNamespace = "pullthrough-system"
)

// manifestPath is the chart rendered with default values, which `make
// manifests` keeps current and hack/lint-chart.sh checks.
const manifestPath = "deploy/manifests/pullthrough.yaml"

// WebhookConfig returns the MutatingWebhookConfiguration exactly as the
// chart ships it, so that the e2e suite and the demo test what users install.
// Its service references carry paths, which e2e/cluster turns into loopback
// URLs with a caBundle.
func WebhookConfig() (*admissionregistrationv1.MutatingWebhookConfiguration, error) {
	cfg := &admissionregistrationv1.MutatingWebhookConfiguration{}
	return cfg, rendered("MutatingWebhookConfiguration", cfg)
}

// WebhookMemoryLimit is the webhook container's memory limit as the chart
// ships it: what the fault suite holds the process's peak RSS under.
func WebhookMemoryLimit() (resource.Quantity, error) {
	var d appsv1.Deployment
	if err := rendered("Deployment", &d); err != nil {
		return resource.Quantity{}, err
	}
	for _, c := range d.Spec.Template.Spec.Containers {
		if l, ok := c.Resources.Limits[corev1.ResourceMemory]; ok && c.Name == "webhook" {
			return l, nil
		}
	}
	return resource.Quantity{}, fmt.Errorf("%s: Deployment %s has no webhook container with a memory limit", manifestPath, d.Name)
}

// rendered decodes into the first object of kind in the chart's rendering.
func rendered(kind string, into any) error {
	root, err := cluster.RepoRoot()
	if err != nil {
		return err
	}
	path := filepath.Join(root, manifestPath)
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var doc json.RawMessage
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("%s has no %s", path, kind)
			}
			return fmt.Errorf("%s: %w", path, err)
		}
		if len(bytes.TrimSpace(doc)) == 0 || string(doc) == "null" {
			continue // a document of comments only
		}
		var meta metav1.TypeMeta
		if err := json.Unmarshal(doc, &meta); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if meta.Kind == kind {
			if err := json.Unmarshal(doc, into); err != nil {
				return fmt.Errorf("%s: %s: %w", path, kind, err)
			}
			return nil
		}
	}
}
