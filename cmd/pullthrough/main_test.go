package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("mirrors: [{source: docker.io, target: docker.io/loop}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(dir, "certs-foreign", "ghcr.io", "hosts.toml")
	if err := os.MkdirAll(filepath.Dir(foreign), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(foreign, []byte("server = \"https://ghcr.io\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: prod-eu, context: {cluster: c, user: u}}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	inexpressible := filepath.Join(dir, "inexpressible.yaml")
	if err := os.WriteFile(inexpressible, []byte("mirrors: [{source: ghcr.io, target: proxy.internal/ghcr}]\nexclude: {images: [\"ghcr.io/*[^a]*x\"]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const cfg = "../../examples/config.yaml"
	const tenants = "../../examples/tenants.yaml"
	tests := []struct {
		name      string
		args      []string
		code      int
		stdout    string // exact, when set
		stderrHas string
		stdoutHas string
	}{
		{"no command", nil, exitUsage, "", "usage: pullthrough", ""},
		{"help", []string{"--help"}, exitOK, "", "commands:", ""},
		{"unknown command", []string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`, ""},
		{"version", []string{"version"}, exitOK, "", "", "pullthrough dev"},
		{"rewrite in order", []string{"rewrite", "--config", cfg, "nginx", "example.com/x:1", "ghcr.io/a/b@sha256:" + strings.Repeat("ab", 32)}, exitOK,
			"proxy.example.internal/dockerhub/library/nginx\nexample.com/x:1\nproxy.example.internal/ghcr/a/b@sha256:" + strings.Repeat("ab", 32) + "\n", "", ""},
		{"explain", []string{"rewrite", "--config", cfg, "--explain", "busybox:1", "quay.io/x/y"}, exitOK,
			"busybox:1\tbusybox:1\texcluded-image\t-\nquay.io/x/y\tproxy.example.internal/quay/x/y\trewritten\tquay.io\n", "", ""},
		{"unparseable image fails", []string{"rewrite", "--config", cfg, "nginx", "nginx:"}, exitFailed, "", `"nginx:"`, "proxy.example.internal/dockerhub/library/nginx\nnginx:\n"},
		{"no config", []string{"rewrite", "nginx"}, exitUsage, "", "--config is required", ""},
		{"missing config", []string{"rewrite", "--config", filepath.Join(dir, "none.yaml"), "nginx"}, exitUsage, "", "none.yaml", ""},
		{"looping config", []string{"rewrite", "--config", bad, "nginx"}, exitUsage, "", "mirrors[0].target", ""},
		{"no images", []string{"rewrite", "--config", cfg}, exitUsage, "", "no images given", ""},
		{"images and -f", []string{"rewrite", "--config", cfg, "-f", "x.yaml", "nginx"}, exitUsage, "", "not both", ""},
		{"unreadable manifests", []string{"rewrite", "--config", cfg, "-f", filepath.Join(dir, "none.yaml")}, exitUsage, "", "read manifests", ""},
		{"manifests", []string{"rewrite", "--config", cfg, "-f", "../../podspec/manifest/testdata/stream.in.json"}, exitOK, "", "2 images: 2 rewritten", "proxy.example.internal/ghcr/acme/app:1"},
		{"manifest spellings", []string{"rewrite", "--config", cfg, "-f", "../../podspec/manifest/testdata/spellings.in.yaml"}, exitOK, "",
			"7 images: 5 rewritten 1 already-proxied 1 no-rule", "image: proxy.example.internal/dockerhub/library/nginx\n"},
		{"explain spellings", []string{"rewrite", "--config", cfg, "--explain", "Docker.IO:443/nginx", "ghcr.io:5000/a/b"}, exitOK,
			"Docker.IO:443/nginx\tproxy.example.internal/dockerhub/library/nginx\trewritten\tdocker.io\nghcr.io:5000/a/b\tghcr.io:5000/a/b\tno-rule\t-\n", "", ""},
		{"manifest unrouted", []string{"rewrite", "--config", cfg, "-f", "../../podspec/manifest/testdata/unrouted.in.yaml"}, exitOK, "",
			"unrouted.in.yaml:17 Job/train cuda: nvcr.io/nvidia/cuda:12.4.1-base-ubuntu22.04 pulls from public registry nvcr.io: no mirror covers it\n", "image: mcr.microsoft.com/dotnet/runtime:8.0\n"},
		{"manifest unrouted counts", []string{"rewrite", "--config", cfg, "-f", "../../podspec/manifest/testdata/unrouted.in.yaml"}, exitOK, "",
			"5 images: 1 rewritten 1 no-rule 3 unrouted-public", ""},
		{"explain unrouted", []string{"rewrite", "--config", cfg, "--explain", "mcr.microsoft.com/dotnet/runtime:8.0", "eu.gcr.io/p/a", "registry.corp.example/x"}, exitOK,
			"mcr.microsoft.com/dotnet/runtime:8.0\tmcr.microsoft.com/dotnet/runtime:8.0\tunrouted-public\tmcr.microsoft.com\n" +
				"eu.gcr.io/p/a\teu.gcr.io/p/a\tunrouted-public\t*.gcr.io\nregistry.corp.example/x\tregistry.corp.example/x\tno-rule\t-\n", "", ""},
		// Image volumes are rewritten in manifests like containers; image: {}
		// is reported, left alone, and fails the run (exit 1).
		{"manifest volumes", []string{"rewrite", "--config", cfg, "-f", "../../podspec/manifest/testdata/volumes.in.yaml"}, exitFailed, "",
			"volumes.in.yaml:20 Deployment/inference volume:models: ghcr.io/acme/models:v3 -> proxy.example.internal/ghcr/acme/models:v3\n", "reference: proxy.example.internal/ghcr/acme/models:v3 # pinned by the team\n"},
		{"manifest volumes unreadable", []string{"rewrite", "--config", cfg, "-f", "../../podspec/manifest/testdata/volumes.in.yaml"}, exitFailed, "",
			`volumes.in.yaml:25 Deployment/inference volume:pending: cannot read image reference "": left as is`, ""},
		{"explain manifest", []string{"rewrite", "--config", cfg, "--explain", "-f", "../../podspec/manifest/testdata/volumes.in.yaml"}, exitFailed, "", "6 images: 4 rewritten 1 excluded-image 1 unparseable",
			"volumes.in.yaml:45\tCronJob/refresh\tvolume:weights\tdocker.io/acme/weights:2024@sha256:" + strings.Repeat("3", 64) + "\tproxy.example.internal/dockerhub/acme/weights:2024@sha256:" + strings.Repeat("3", 64) + "\trewritten\tdocker.io\n"},
		{"bad flag", []string{"rewrite", "--nope"}, exitUsage, "", "flag provided but not defined", ""},
		// Scoped mirrors: the namespace's name and labels pick the routing offline.
		{"rewrite in a namespace by name", []string{"rewrite", "--config", tenants, "--namespace", "team-a-dev", "nginx"}, exitOK,
			"proxy.example.internal/team-a/library/nginx\n", "", ""},
		{"rewrite in a namespace by label", []string{"rewrite", "--config", tenants, "--namespace", "shop", "--namespace-labels", "tenant=b,env=prod", "nginx", "ghcr.io/a/b"}, exitOK,
			"proxy.example.internal/tenant-b/library/nginx\nproxy.example.internal/ghcr/a/b\n", "", ""},
		{"rewrite selects by the name label", []string{"rewrite", "--config", tenants, "--namespace", "team-a", "--explain", "nginx"}, exitOK,
			"nginx\tproxy.example.internal/team-a/library/nginx\trewritten\tdocker.io\n", "", ""},
		{"rewrite without a namespace says so", []string{"rewrite", "--config", tenants, "nginx"}, exitOK,
			"proxy.example.internal/dockerhub/library/nginx\n", "without --namespace none of them applies", ""},
		{"namespace labels without a namespace", []string{"rewrite", "--config", tenants, "--namespace-labels", "tenant=b", "nginx"}, exitUsage, "", "--namespace-labels needs --namespace", ""},
		{"namespace labels malformed", []string{"rewrite", "--config", tenants, "--namespace", "x", "--namespace-labels", "tenant", "nginx"}, exitUsage, "", `--namespace-labels "tenant"`, ""},
		{"namespace not a name", []string{"rewrite", "--config", tenants, "--namespace", "Team_A", "nginx"}, exitUsage, "", `--namespace "Team_A"`, ""},
		{"nodeconfig prints", []string{"nodeconfig", "--config", cfg, "-o", "-"}, exitOK, "", "warning: exclude.images[0]", "==> docker.io/hosts.toml <==\n# Managed by pullthrough"},
		{"nodeconfig writes", []string{"nodeconfig", "--config", cfg, "--out", filepath.Join(dir, "certs")}, exitOK, "", "wrote quay.io/hosts.toml", ""},
		{"nodeconfig leaves a foreign file", []string{"nodeconfig", "--config", cfg, "--out", filepath.Join(dir, "certs-foreign")}, exitFailed, "", "ghcr.io/hosts.toml: exists and is not managed", ""},
		{"nodeconfig cleanup needs no config", []string{"nodeconfig", "--cleanup", "--out", filepath.Join(dir, "certs-none")}, exitOK, "", "", ""},
		{"nodeconfig prints Bottlerocket's settings", []string{"nodeconfig", "--config", cfg, "-o", "bottlerocket"}, exitOK, "", "warning: exclude.images[0]",
			"[[settings.container-registry.mirrors]]\nregistry = \"docker.io\"\nendpoint = [\"https://proxy.example.internal/v2/dockerhub\"]\n"},
		{"nodeconfig bottlerocket prints once", []string{"nodeconfig", "--config", cfg, "-o", "bottlerocket", "--watch"}, exitUsage, "", "-o bottlerocket prints once", ""},
		{"nodeconfig needs a destination", []string{"nodeconfig", "--config", cfg}, exitUsage, "", "--out DIR, -o - or -o bottlerocket is required", ""},
		{"nodeconfig prints only to stdout", []string{"nodeconfig", "--config", cfg, "-o", "x"}, exitUsage, "", "-o x: want - (the host files on stdout) or bottlerocket", ""},
		{"nodeconfig bad config", []string{"nodeconfig", "--config", bad, "-o", "-"}, exitUsage, "", "mirrors[0].target", ""},
		{"nodeconfig check, stock containerd", []string{"nodeconfig", "--check", "--containerd-config", "../../nodeconfig/testdata/containerd/stock.toml"}, exitFailed, "",
			`reads config_path "/etc/containerd/certs.d:/etc/docker/certs.d" as one directory`, ""},
		{"nodeconfig check, one directory", []string{"nodeconfig", "--check", "--containerd-config", "../../nodeconfig/testdata/containerd/one-dir.toml"}, exitOK, "", "",
			"reads the host files in /etc/containerd/certs.d"},
		{"nodeconfig check, containerd 2.1 reads none unset", []string{"nodeconfig", "--check", "--containerd-config", "../../nodeconfig/testdata/containerd/stock.toml", "--containerd-version", "2.1.6"}, exitFailed, "",
			"config_path is not set", ""},
		{"nodeconfig check needs the file", []string{"nodeconfig", "--check"}, exitUsage, "", "--check needs --containerd-config", ""},
		{"nodeconfig check, bad version", []string{"nodeconfig", "--check", "--containerd-config", "x.toml", "--containerd-version", "two"}, exitUsage, "", `containerd version "two"`, ""},
		{"webhook without config", []string{"webhook"}, exitUsage, "", "--config is required", ""},
		{"webhook: no image cap", []string{"webhook", "--config", cfg, "--max-pod-images", "0"}, exitUsage, "", "--max-pod-images: 0 is not positive", ""},
		{"webhook: no warnings", []string{"webhook", "--config", cfg, "--max-warnings", "-1"}, exitUsage, "", "--max-warnings: -1 is not positive", ""},
		{"webhook: no room", []string{"webhook", "--config", cfg, "--max-request-bytes-in-flight", "0"}, exitUsage, "", "--max-request-bytes-in-flight: 0 is not positive", ""},
		{"webhook: no read timeout", []string{"webhook", "--config", cfg, "--read-timeout", "0s"}, exitUsage, "", "--read-timeout: 0s is not positive", ""},
		{"webhook: no handler timeout", []string{"webhook", "--config", cfg, "--handler-timeout", "-1s"}, exitUsage, "", "--handler-timeout: -1s is not positive", ""},
		{"report: not an outcome", []string{"report", "--config", cfg, "--fail-on", "rewritten,direct"}, exitUsage, "", `"direct" is not an outcome`, ""},
		{"report: contexts both ways", []string{"report", "--config", cfg, "--context", "a", "--all-contexts"}, exitUsage, "", "exclude each other", ""},
		{"report: bad output", []string{"report", "--config", cfg, "-o", "yaml"}, exitUsage, "", `-o "yaml"`, ""},
		{"report: no such context", []string{"report", "--config", cfg, "--kubeconfig", kubeconfig, "--context", "prod-ap"}, exitUsage, "", `--context "prod-ap": no such context`, ""},
		{"report: no current context", []string{"report", "--config", cfg, "--kubeconfig", kubeconfig}, exitUsage, "", "no current context", ""},
		{"report: missing kubeconfig", []string{"report", "--config", cfg, "--kubeconfig", filepath.Join(dir, "none")}, exitUsage, "", "kubeconfig:", ""},
		// internal/process.Kube: an unusable kubeconfig is configuration, for every verb.
		{"verify: missing kubeconfig", []string{"verify", "--config", cfg, "-n", "shop", "--kubeconfig", filepath.Join(dir, "none")}, exitUsage, "", "kubeconfig:", ""},
		{"migrate: missing kubeconfig", []string{"migrate", "--config", cfg, "--kubeconfig", filepath.Join(dir, "none")}, exitUsage, "", "kubeconfig:", ""},
		{"report: unreachable cluster", []string{"report", "--config", cfg, "--kubeconfig", kubeconfig, "--all-contexts", "-o", "json"}, exitFailed, "", "cluster prod-eu: list replicasets.apps across the cluster", `"error": "list replicasets.apps across the cluster`},
		{"report: bad config", []string{"report", "--config", bad}, exitUsage, "", "mirrors[0].target", ""},
		{"warm: no scope", []string{"warm", "--config", cfg}, exitUsage, "", "give exactly one of -f FILE, -n NS or --all-namespaces", ""},
		{"warm: two scopes", []string{"warm", "--config", cfg, "-n", "shop", "--all-namespaces"}, exitUsage, "", "give exactly one of -f FILE, -n NS or --all-namespaces", ""},
		{"warm: bad output", []string{"warm", "--config", cfg, "--all-namespaces", "-o", "yaml"}, exitUsage, "", `-o "yaml"`, ""},
		{"warm: bad config", []string{"warm", "--config", bad, "-f", "-"}, exitUsage, "", "mirrors[0].target", ""},
		// No reference of these manifests has a digest: nothing to warm, no request sent.
		{"warm: manifests without digests", []string{"warm", "--config", cfg, "-f", "../../podspec/manifest/testdata/unrouted.in.yaml"}, exitOK, "",
			"warm: digest references 0: 0 warmed, 0 served, 0 failed; without a digest, left out (a proxy fills a tag on its first pull): 1", "NAMESPACE  FOUND-IN  REFERENCE  TAG  DIGEST  RESULT\n"},
		{"policy prints", []string{"policy", "--config", cfg, "--guard", "warn"}, exitOK, "", "", "kind: MutatingAdmissionPolicy\n"},
		{"policy bad guard", []string{"policy", "--config", cfg, "--guard", "loud"}, exitUsage, "", `--guard: "loud" is not off, warn or deny`, ""},
		{"policy inexpressible", []string{"policy", "--config", inexpressible}, exitUsage, "", `exclude.images[0]: "ghcr.io/*[^a]*x": cannot be expressed exactly in an admission policy: character class [^a] can match '/'`, ""},
		{"policy bad config", []string{"policy", "--config", bad}, exitUsage, "", "mirrors[0].target", ""},
		{"policy watch without apply", []string{"policy", "--config", cfg, "--watch"}, exitUsage, "", "--watch needs --apply", ""},
		{"policy inexpressible, watching", []string{"policy", "--config", inexpressible, "--apply", "--watch"}, exitUsage, "", "cannot be expressed exactly in an admission policy", ""},
		{"policy bad resync", []string{"policy", "--config", cfg, "--apply", "--watch", "--resync", "0s"}, exitUsage, "", "--resync: 0s is not positive", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			if code := run(tt.args, &stdout, &stderr); code != tt.code {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tt.code, stderr.String())
			}
			if tt.stdout != "" && stdout.String() != tt.stdout {
				t.Errorf("stdout = %q, want %q", stdout.String(), tt.stdout)
			}
			if !strings.Contains(stdout.String(), tt.stdoutHas) {
				t.Errorf("stdout = %q, want it to contain %q", stdout.String(), tt.stdoutHas)
			}
			if !strings.Contains(stderr.String(), tt.stderrHas) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.stderrHas)
			}
		})
	}
}
