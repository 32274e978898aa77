package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
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
	root, err := cluster.RepoRoot()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(root, manifestPath)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var cfg admissionregistrationv1.MutatingWebhookConfiguration
		if err := dec.Decode(&cfg); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%s has no MutatingWebhookConfiguration", path)
			}
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if cfg.Kind == "MutatingWebhookConfiguration" {
			return &cfg, nil
		}
	}
}
