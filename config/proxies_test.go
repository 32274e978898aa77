package config

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pullthrough/pullthrough/rewrite"
)

// proxyImages is the fixed image set every provider layout is run on: an official
// Docker Hub image (short name, and pinned by digest), a Docker Hub organization,
// a nested ghcr.io path, quay.io and registry.k8s.io.
var proxyImages = []string{
	"nginx:1.27",
	"nginx@sha256:0000000000000000000000000000000000000000000000000000000000000001",
	"bitnami/redis:7.4",
	"ghcr.io/acme/tools/shipper:2",
	"quay.io/prometheus/node-exporter:v1.8.0",
	"registry.k8s.io/pause:3.10",
}

// TestProxyLayouts loads the example config of each proxy kind that docs/proxies.md
// shows and checks what the rewrite engine makes of the fixed image set, in order.
func TestProxyLayouts(t *testing.T) {
	t.Parallel()
	const digest = "@sha256:0000000000000000000000000000000000000000000000000000000000000001"
	tests := []struct {
		file string
		want []string
	}{
		{"distribution.yaml", []string{
			"hub-mirror.corp.example:5000/library/nginx:1.27",
			"hub-mirror.corp.example:5000/library/nginx" + digest,
			"hub-mirror.corp.example:5000/bitnami/redis:7.4",
			"ghcr-mirror.corp.example:5000/acme/tools/shipper:2",
			"quay-mirror.corp.example:5000/prometheus/node-exporter:v1.8.0",
			"k8s-mirror.corp.example:5000/pause:3.10",
		}},
		{"harbor.yaml", []string{
			"harbor.corp.example/dockerhub/library/nginx:1.27",
			"harbor.corp.example/dockerhub/library/nginx" + digest,
			"harbor.corp.example/dockerhub/bitnami/redis:7.4",
			"harbor.corp.example/ghcr/acme/tools/shipper:2",
			"harbor.corp.example/quay/prometheus/node-exporter:v1.8.0",
			"harbor.corp.example/k8s/pause:3.10",
		}},
		{"artifactory.yaml", []string{
			"artifactory.corp.example/dockerhub-remote/library/nginx:1.27",
			"artifactory.corp.example/dockerhub-remote/library/nginx" + digest,
			"artifactory.corp.example/dockerhub-remote/bitnami/redis:7.4",
			"artifactory.corp.example/ghcr-remote/acme/tools/shipper:2",
			"artifactory.corp.example/quay-remote/prometheus/node-exporter:v1.8.0",
			"artifactory.corp.example/k8s-remote/pause:3.10",
		}},
		{"nexus.yaml", []string{
			"nexus.corp.example:8082/library/nginx:1.27",
			"nexus.corp.example:8082/library/nginx" + digest,
			"nexus.corp.example:8082/bitnami/redis:7.4",
			"nexus.corp.example:8083/acme/tools/shipper:2",
			"nexus.corp.example:8084/prometheus/node-exporter:v1.8.0",
			"nexus.corp.example:8085/pause:3.10",
		}},
		{"ecr.yaml", []string{
			"123456789012.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/nginx:1.27",
			"123456789012.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/nginx" + digest,
			"123456789012.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/bitnami/redis:7.4",
			"123456789012.dkr.ecr.eu-west-1.amazonaws.com/github/acme/tools/shipper:2",
			"123456789012.dkr.ecr.eu-west-1.amazonaws.com/quay/prometheus/node-exporter:v1.8.0",
			"123456789012.dkr.ecr.eu-west-1.amazonaws.com/kubernetes/pause:3.10",
		}},
		{"artifact-registry.yaml", []string{
			"europe-docker.pkg.dev/acme-prod/dockerhub-remote/library/nginx:1.27",
			"europe-docker.pkg.dev/acme-prod/dockerhub-remote/library/nginx" + digest,
			"europe-docker.pkg.dev/acme-prod/dockerhub-remote/bitnami/redis:7.4",
			"europe-docker.pkg.dev/acme-prod/ghcr-remote/acme/tools/shipper:2",
			"europe-docker.pkg.dev/acme-prod/quay-remote/prometheus/node-exporter:v1.8.0",
			"europe-docker.pkg.dev/acme-prod/k8s-remote/pause:3.10",
		}},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".yaml"), func(t *testing.T) {
			t.Parallel()
			cfg, err := Load(filepath.Join("testdata", "proxies", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			rw, err := cfg.Rewriter()
			if err != nil {
				t.Fatal(err)
			}
			for i, image := range proxyImages {
				got := rw.Rewrite(image)
				if got.Outcome != rewrite.OutcomeRewritten || got.Image != tt.want[i] {
					t.Errorf("%s: %s -> %s (%s), want %s", tt.file, image, got.Image, got.Outcome, tt.want[i])
				}
				// A second pass must leave the result alone: a proxied image is never re-routed.
				if again := rw.Rewrite(got.Image); again.Outcome != rewrite.OutcomeAlreadyProxied {
					t.Errorf("%s: %s rewritten again: %s (%s)", tt.file, got.Image, again.Image, again.Outcome)
				}
			}
		})
	}
}

// TestECRPublicLayout routes ECR Public, the one upstream of docs/eks.md outside
// the fixed image set, through its pull-through prefix with the path unchanged.
func TestECRPublicLayout(t *testing.T) {
	t.Parallel()
	cfg, err := Load(filepath.Join("testdata", "proxies", "ecr.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rw, err := cfg.Rewriter()
	if err != nil {
		t.Fatal(err)
	}
	const want = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ecr-public/eks-distro/kubernetes/pause:3.9"
	if got := rw.Rewrite("public.ecr.aws/eks-distro/kubernetes/pause:3.9"); got.Image != want || got.Outcome != rewrite.OutcomeRewritten {
		t.Errorf("Rewrite = %s (%s), want %s rewritten", got.Image, got.Outcome, want)
	}
}
